package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/postmortem"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// postmortemData is the editor of an incident's postmortem, its
// read-only view once published, and its printable page.
type postmortemData struct {
	IncidentID int64
	Title      string
	Body       string
	State      string
	// Stored is false while the text is the generated draft.
	Stored               bool
	CreatedBy, UpdatedBy string
	ApprovedBy           string
	Created, Updated     template.HTML
	Approved             template.HTML
	// HTML is the rendered body: the published postmortem, the printable
	// page, or the preview of the text being edited.
	HTML    template.HTML
	Preview bool
	// Unsaved is text sent to a published postmortem and refused: shown
	// back so that nothing typed is lost.
	Unsaved string
	Error   string
}

// Published says whether the postmortem is final and read-only.
func (d postmortemData) Published() bool { return d.State == store.PostmortemPublished }

// postmortemView reads an incident's postmortem, or its draft, for the
// pages.
func (s *UI) postmortemView(r *http.Request) (postmortemData, error) {
	id, err := pathIncidentID(r)
	if err != nil {
		return postmortemData{}, err
	}
	p, stored, err := s.d.PostmortemOrDraft(r.Context(), id)
	if err != nil {
		return postmortemData{}, err
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	d := postmortemData{IncidentID: id, Title: p.Title, Body: p.Body, State: p.State, Stored: stored, CreatedBy: s.who(p.CreatedBy),
		UpdatedBy: s.who(p.UpdatedBy), ApprovedBy: s.who(p.ApprovedBy)}
	if stored {
		d.Created, d.Updated = clk.when(p.CreatedAt), clk.when(p.UpdatedAt)
	}
	if !p.ApprovedAt.IsZero() {
		d.Approved = clk.when(p.ApprovedAt)
	}
	if d.Published() {
		d.HTML = postmortem.HTML(p.Body)
	}
	return d, nil
}

// handlePostmortem renders "/incidents/{id}/postmortem": the editor, the
// published postmortem, or with ?print=1 the printable page.
func (s *UI) handlePostmortem(w http.ResponseWriter, r *http.Request, u store.User) error {
	d, err := s.postmortemView(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("print") != "" {
		d.HTML = postmortem.HTML(d.Body)
		s.execute(w, r, http.StatusOK, s.pages["postmortem_print.html"], "postmortem_print.html", "print",
			page{Title: d.Title, User: &u, Version: s.d.Version, Data: d})
		return nil
	}
	s.renderPostmortem(w, r, u, http.StatusOK, d)
	return nil
}

func (s *UI) renderPostmortem(w http.ResponseWriter, r *http.Request, u store.User, status int, d postmortemData) {
	s.Render(w, r, status, "postmortem.html", &u, fmt.Sprintf("Postmortem of incident %d", d.IncidentID), d)
}

// handlePostmortemMarkdown serves "/incidents/{id}/postmortem.md": the
// stored Markdown, or the draft, as a file to download.
func (s *UI) handlePostmortemMarkdown(w http.ResponseWriter, r *http.Request, _ store.User) error {
	d, err := s.postmortemView(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="incident-%d-postmortem.md"`, d.IncidentID))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(d.Body))
	return nil
}

// handlePostmortemSave takes the editor's form: "preview" shows the text
// rendered without storing it, "save" stores it (the first save creates
// the postmortem as a draft). A published postmortem refuses the text,
// which is shown back so nothing typed is lost.
func (s *UI) handlePostmortemSave(w http.ResponseWriter, r *http.Request, u store.User) error {
	d, err := s.postmortemView(r)
	if err != nil {
		return err
	}
	if err := s.readForm(w, r); err != nil {
		return err
	}
	title, body := strings.TrimSpace(r.PostForm.Get("title")), strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	if d.Published() {
		d.Unsaved = body
		d.Error = fmt.Sprintf("The postmortem of incident %d is published and can no longer be edited; your text was not saved and is shown below.", d.IncidentID)
		s.renderPostmortem(w, r, u, http.StatusConflict, d)
		return nil
	}
	d.Title, d.Body = title, body
	if r.PostForm.Get("do") == "preview" {
		d.HTML, d.Preview = postmortem.HTML(body), true
		s.renderPostmortem(w, r, u, http.StatusOK, d)
		return nil
	}
	err = webcore.CheckPostmortem(title, body)
	if err == nil {
		// A conflict means it was published since the page was read; the
		// text stays in the form.
		_, err = s.d.Store.SavePostmortem(r.Context(), store.Postmortem{IncidentID: d.IncidentID, Title: title, Body: body}, u.Name)
	}
	return s.postmortemDone(w, r, u, d, err, "saving")
}

// postmortemDone answers a change to a postmortem: back to its page when
// it worked, the page with the refusal when it did not.
func (s *UI) postmortemDone(w http.ResponseWriter, r *http.Request, u store.User, d postmortemData, err error, doing string) error {
	status := http.StatusBadRequest
	switch errs.Code(err) {
	case "":
		http.Redirect(w, r, fmt.Sprintf("/incidents/%d/postmortem", d.IncidentID), http.StatusSeeOther)
		return nil
	case errs.ENOTFOUND:
		return err
	case errs.ECONFLICT:
		status = http.StatusConflict
		fallthrough
	case errs.EINVALID:
		d.Error = err.Error()
		s.renderPostmortem(w, r, u, status, d)
		return nil
	}
	return fmt.Errorf("%s the postmortem of incident %d: %w", doing, d.IncidentID, err)
}

// handlePostmortemState moves a saved postmortem along its review:
// draft to in_review, back to draft, or published with the signed-in
// user as the approver. A move the state does not allow is answered on
// the page.
func (s *UI) handlePostmortemState(w http.ResponseWriter, r *http.Request, u store.User) error {
	d, err := s.postmortemView(r)
	if err != nil {
		return err
	}
	if err := s.readForm(w, r); err != nil {
		return err
	}
	if !d.Stored {
		return s.postmortemDone(w, r, u, d, errs.Errorf(errs.ECONFLICT, "Save the postmortem before sending it for review."), "moving")
	}
	_, err = s.d.Store.SetPostmortemState(r.Context(), d.IncidentID, r.PostForm.Get("state"), u.Name)
	audit.Annotate(r.Context(), "", "postmortem state "+r.PostForm.Get("state"))
	return s.postmortemDone(w, r, u, d, err, "moving")
}

// postmortemRow is one published postmortem in the search results.
type postmortemRow struct {
	IncidentID int64
	Title      string
	ApprovedBy string
	Approved   template.HTML
	// Excerpt is the first line that matches the search, or the first
	// line of text.
	Excerpt string
}

type postmortemsData struct {
	Query    string
	Rows     []postmortemRow
	NextURL  string
	PrevHint bool
	FirstURL string
}

// handlePostmortems renders "/postmortems?q=": published postmortems
// whose title or body contains q, highest incident first, paged.
func (s *UI) handlePostmortems(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	list, err := s.d.Store.PublishedPostmortems(r.Context(), q, p)
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return err
		}
		return fmt.Errorf("searching postmortems: %w", err)
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	data := postmortemsData{Query: q, PrevHint: p.Before > 0, FirstURL: postmortemsURL(q, 0)}
	for _, pm := range list {
		row := postmortemRow{IncidentID: pm.IncidentID, Title: pm.Title, ApprovedBy: s.who(pm.ApprovedBy), Excerpt: excerpt(pm.Body, q)}
		if !pm.ApprovedAt.IsZero() {
			row.Approved = clk.when(pm.ApprovedAt)
		}
		data.Rows = append(data.Rows, row)
	}
	if n := len(list); n > 0 {
		if c := webcore.NextCursor(n, p.Limit, list[n-1].IncidentID); c != nil {
			before, _ := strconv.ParseInt(*c, 10, 64)
			data.NextURL = postmortemsURL(q, before)
		}
	}
	s.Render(w, r, http.StatusOK, "postmortems.html", &u, "Postmortems", data)
	return nil
}

func postmortemsURL(q string, before int64) string { return listURL("/postmortems", "q", q, before) }

// maxExcerpt bounds the line shown under a search result, in characters.
const maxExcerpt = 200

// excerpt picks the line of a postmortem's Markdown that shows why it
// matched q: the first line containing it (any case), else the first
// line with text; cut to maxExcerpt characters.
func excerpt(body, q string) string {
	var first string
	lq := strings.ToLower(q)
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#>*-| "))
		if line == "" {
			continue
		}
		if first == "" {
			first = line
		}
		if q != "" && strings.Contains(strings.ToLower(line), lq) {
			return cut(line, maxExcerpt)
		}
	}
	return cut(first, maxExcerpt)
}

// cut shortens s to at most n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
