package config

import "os"

// validatePostmortemTemplate checks that a postmortem template, when
// named, is a readable file. Its text is parsed where drafts are written,
// so that an edited template is used without a reload.
func (l *loader) validatePostmortemTemplate(path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		l.errAt("incidents.postmortem_template", "cannot read the template: %v", err)
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		l.errAt("incidents.postmortem_template", "%s is not a file", path)
	}
}
