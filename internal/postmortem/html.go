package postmortem

import (
	"bytes"
	"html/template"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// markdown turns a postmortem's Markdown into HTML: GitHub's dialect, so
// the timeline and follow-up tables render as tables (alignment as the
// align attribute, which the sanitiser keeps, rather than a style). Raw HTML in the
// text is passed on (a <details> or a <br> in a cell is common in
// postmortems) and left to the sanitiser to make safe.
var markdown = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough, extension.Linkify, extension.TaskList,
	),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

// sanitiser keeps what user-written text may hold (headings, lists,
// tables, links, images) and drops scripts, event handlers, styles and
// links to anything but the web and mail. The disabled check boxes of
// task lists ("- [x] rotate logs") are kept: follow-up actions use them.
var sanitiser = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy().RequireNoReferrerOnLinks(true)
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	return p
}()

// HTML renders a postmortem's Markdown as HTML safe to put in a page:
// whatever the text holds, the result carries no script, no event
// handler and no javascript: link. It is a pure function.
func HTML(md string) template.HTML {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(md), &b); err != nil {
		// Convert fails only when writing to the buffer fails, which a
		// bytes.Buffer never does; show the text rather than nothing.
		return template.HTML("<pre>" + template.HTMLEscapeString(md) + "</pre>")
	}
	return template.HTML(sanitiser.SanitizeBytes(b.Bytes())) //nolint:gosec // sanitised just here
}
