package postmortem

import (
	"strings"
	"testing"
)

// TestHTML renders Markdown the way the editor's preview and the printed
// page show it: tables, task lists and links survive, anything that could
// run a script does not.
func TestHTML(t *testing.T) {
	cases := []struct {
		name    string
		md      string
		want    []string
		mustNot []string
	}{
		{
			name: "timeline table",
			md:   "## Timeline (UTC)\n\n| time | event |\n|:---|---:|\n| 2026-03-01 12:00:00Z | web is **down** |\n",
			want: []string{"<h2>Timeline (UTC)</h2>", "<table>", `<th align="left">time</th>`, `<td align="right">web is <strong>down</strong></td>`},
		},
		{
			name: "task list and strikethrough",
			md:   "- [x] rotate logs\n- [ ] ~~alert on disk~~\n",
			want: []string{`<input checked="" disabled="" type="checkbox"`, "<del>alert on disk</del>"},
		},
		{
			name:    "script element",
			md:      "before\n\n<script>alert(1)</script>\n\nafter <script>alert(2)</script>",
			want:    []string{"<p>before</p>", "after"},
			mustNot: []string{"<script", "alert("},
		},
		{
			name:    "javascript link",
			md:      "[click](javascript:alert(1)) and <a href=\"javascript:alert(2)\">raw</a> and <a href=\"JaVaScRiPt:alert(3)\">mixed</a>",
			want:    []string{"click", "raw", "mixed"},
			mustNot: []string{"javascript:", "JaVaScRiPt:", "alert("},
		},
		{
			name:    "event handlers",
			md:      "<img src=\"https://img.example/x.png\" onerror=\"alert(1)\"> <p onclick=\"alert(2)\" onmouseover=alert(3)>hi</p>",
			want:    []string{`<img src="https://img.example/x.png"`, "hi"},
			mustNot: []string{"onerror", "onclick", "onmouseover", "alert("},
		},
		{
			name:    "styles, frames and forms",
			md:      "<style>body{display:none}</style><iframe src=\"https://evil.example\"></iframe><form action=\"/logout\"><button>x</button></form><span style=\"position:fixed\">s</span>",
			mustNot: []string{"<style", "display:none", "<iframe", "<form", "position:fixed"},
		},
		{
			name: "safe links",
			md:   "[runbook](https://wiki.example/disk) <https://status.example>",
			want: []string{`href="https://wiki.example/disk"`, `href="https://status.example"`, "noreferrer"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(HTML(c.md))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q in\n%s", w, got)
				}
			}
			for _, n := range c.mustNot {
				if strings.Contains(strings.ToLower(got), strings.ToLower(n)) {
					t.Errorf("%q left in\n%s", n, got)
				}
			}
		})
	}
}

// TestHTMLDraft renders the built-in draft: its timeline is a table.
func TestHTMLDraft(t *testing.T) {
	md, err := Default().Draft(Data{ID: 7, Title: "Disk full", Timeline: []Entry{{Kind: "note", Text: "disk | full", Who: "ann"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := string(HTML(md))
	if !strings.Contains(got, "<table>") || !strings.Contains(got, "disk | full") {
		t.Errorf("draft rendered without its timeline table:\n%s", got)
	}
}
