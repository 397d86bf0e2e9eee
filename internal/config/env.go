package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// maxSecretFileSize bounds what a *_file field may read: secrets are short,
// and a path pointing at a large file by mistake must not be slurped.
const maxSecretFileSize = 64 << 10

// expandEnv replaces ${NAME} with the value of the environment variable
// NAME, and $$ with a single $. Any other $ is kept as written, so regular
// expressions such as "^ok$" need no escaping. An unset variable is an
// error naming it.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", errors.New(`"${" has no closing "}" (write $$ for a literal dollar sign)`)
			}
			name := s[i+2 : i+2+end]
			if !ValidEnvName(name) {
				return "", fmt.Errorf("invalid environment variable name %q in ${...}: use letters, digits and _, not starting with a digit", name)
			}
			v, ok := lookup(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// ValidEnvName reports whether name is a valid environment variable name:
// letters, digits and _, not starting with a digit.
func ValidEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// expandStrings expands ${NAME} in every string value reachable from v (a
// pointer to a config struct), naming the YAML path of each failure.
func (l *loader) expandStrings(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			l.expandStrings(v.Elem(), path)
		}
	case reflect.Struct:
		for _, f := range l.fieldsOf(v.Type()) {
			if f.inline {
				l.expandStrings(v.Field(f.index), path)
				continue
			}
			l.expandStrings(v.Field(f.index), joinPath(path, f.name))
		}
	case reflect.Slice:
		for i := range v.Len() {
			l.expandStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return
		}
		iter := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var updates []kv
		for iter.Next() {
			s := iter.Value().String()
			out, err := expandEnv(s, l.lookupEnv)
			if err != nil {
				l.errAt(joinPath(path, iter.Key().String()), "%v", err)
				continue
			}
			if out != s {
				updates = append(updates, kv{iter.Key(), reflect.ValueOf(out).Convert(v.Type().Elem())})
				l.remember(out, s)
			}
		}
		for _, u := range updates {
			v.SetMapIndex(u.k, u.v)
		}
	case reflect.String:
		s := v.String()
		out, err := expandEnv(s, l.lookupEnv)
		if err != nil {
			l.errAt(path, "%v", err)
			return
		}
		if out != s && v.CanSet() {
			v.SetString(out)
			l.remember(out, s)
		}
	}
}

// remember records that the loader expanded written into out. Only a
// ${NAME} reference is worth remembering; "$$" alone is a literal dollar.
func (l *loader) remember(out, written string) {
	if l.expanded != nil && strings.Contains(written, "${") {
		l.expanded[out] = written
	}
}

// isInline reports whether f's keys are written in its parent's mapping.
// field is a struct field expandStrings walks: an inline one, or one with
// a YAML key.
type field struct {
	index  int
	name   string
	inline bool
}

// fieldsOf returns the fields of t that expandStrings walks, read from
// the struct tags once per type: a file of many monitors has the same
// few types many times.
func (l *loader) fieldsOf(t reflect.Type) []field {
	if fs, ok := l.fields[t]; ok {
		return fs
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case isInline(f):
			fs = append(fs, field{index: i, inline: true})
		case f.IsExported() && yamlName(f) != "":
			fs = append(fs, field{index: i, name: yamlName(f)})
		}
	}
	if l.fields == nil {
		l.fields = make(map[reflect.Type][]field)
	}
	l.fields[t] = fs
	return fs
}

func isInline(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return opts == "inline"
}

// yamlName returns the YAML key of a struct field, "" when it has none
// (an inline field has no key of its own).
func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || isInline(f) {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// resolve makes a relative path relative to the config file's folder.
func (l *loader) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

// readSecret fills *value from the file named by *file, when set. The
// file's trailing newline is dropped, as editors and `echo` add one.
func (l *loader) readSecret(path, key string, value, file *string) {
	if *file == "" {
		return
	}
	valueKey := strings.TrimSuffix(key, "_file")
	filePath := joinPath(path, key)
	if *value != "" {
		l.errAt(filePath, "set either %s or %s, not both", valueKey, key)
		return
	}
	*file = l.resolve(*file)
	data, err := l.readFile(*file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		l.errAt(filePath, "cannot read %s: %v", *file, err)
		return
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		l.errAt(filePath, "%s is empty", *file)
		return
	}
	*value = s
}

// readLimited reads a whole file of at most maxSecretFileSize bytes.
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSecretFileSize {
		return nil, fmt.Errorf("file is larger than %d KiB; a secret file holds only the secret", maxSecretFileSize>>10)
	}
	return data, nil
}
