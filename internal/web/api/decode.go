package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Limits on what a JSON request body holds (docs/api.md). Names have their
// own, shorter limits where they are checked.
const (
	// maxTextLen bounds every string value, in characters.
	maxTextLen = 1000
	// maxListLen bounds every array.
	maxListLen = 100
	// maxDepth bounds the nesting of objects and arrays.
	maxDepth = 10
)

// decodeJSON reads one JSON object of at most 1 MiB into v. It refuses,
// with a message naming the field, what encoding/json lets through or
// reports without a name: a body that is not one object, a key given twice
// (at any depth, in any case: encoding/json matches names regardless of
// case and keeps the last value silently), unknown keys,
// values of the wrong type or form, a duration of zero or less, strings over
// maxTextLen and arrays over maxListLen.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, webcore.MaxBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // a *http.MaxBytesError is a 413
	}
	members, err := objectMembers(body)
	if err != nil {
		return err
	}
	// One member at a time, so that every error can name its field (an
	// UnmarshalText error does not say which field it came from).
	for _, m := range members {
		if err := decodeMember(m.key, m.value, v); err != nil {
			return err
		}
	}
	return nil
}

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers splits body, which must be one JSON object and nothing
// more, into its members, checking the limits and duplicate keys on the
// way.
func objectMembers(body []byte) ([]member, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errs.Errorf(errs.EINVALID, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errs.Errorf(errs.EINVALID, "the request body must be a JSON object ({...})")
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key := tok.(string) // object keys are strings; anything else is a syntax error above
		if seen[strings.ToLower(key)] {
			return nil, errs.Errorf(errs.EINVALID, "field %q is given twice; give each field once", key)
		}
		seen[strings.ToLower(key)] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxError(err)
		}
		if err := checkValue(json.NewDecoder(bytes.NewReader(raw)), key, 1); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, value: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errs.Errorf(errs.EINVALID, "the request body has data after the JSON object")
	}
	return out, nil
}

// checkValue walks one value from dec, refusing duplicate keys, long
// strings, long arrays and deep nesting; path names it in errors.
func checkValue(dec *json.Decoder, path string, depth int) error {
	if depth > maxDepth {
		return errs.Errorf(errs.EINVALID, "field %q is nested more than %d levels deep", path, maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch tok := tok.(type) {
	case string:
		if n := utf8.RuneCountInString(tok); n > maxTextLen {
			return errs.Errorf(errs.EINVALID, "field %q is %d characters long; the limit is %d", path, n, maxTextLen)
		}
	case json.Delim:
		switch tok {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return syntaxError(err)
				}
				key := k.(string)
				if seen[strings.ToLower(key)] {
					return errs.Errorf(errs.EINVALID, "field %q is given twice; give each field once", path+"."+key)
				}
				seen[strings.ToLower(key)] = true
				if err := checkValue(dec, path+"."+key, depth+1); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if i == maxListLen {
					return errs.Errorf(errs.EINVALID, "field %q has more than %d items", path, maxListLen)
				}
				if err := checkValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return syntaxError(err)
		}
	}
	return nil
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errs.Errorf(errs.EINVALID, "the request body is not valid JSON: %v (at byte %d)", err, se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errs.Errorf(errs.EINVALID, "the request body is not valid JSON: it ends in the middle of a value")
	}
	return errs.Errorf(errs.EINVALID, "the request body is not valid JSON: %v", err)
}

// decodeMember decodes the member key of an object into v, a pointer to a
// struct whose other fields it leaves alone.
func decodeMember(key string, value json.RawMessage, v any) error {
	k, _ := json.Marshal(key)
	one := make([]byte, 0, len(k)+len(value)+3)
	one = append(append(append(append(append(one, '{'), k...), ':'), value...), '}')
	dec := json.NewDecoder(bytes.NewReader(one))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &typeErr):
		field := key
		if typeErr.Field != "" {
			field = typeErr.Field
		}
		return errs.Errorf(errs.EINVALID, "field %q must be %s, not %s", field, jsonKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errs.Errorf(errs.EINVALID, "unknown field %q", key)
	default:
		return errs.Errorf(errs.EINVALID, "field %q: %v", key, err)
	}
	return positiveDuration(key, value, v)
}

// durationField is a duration type of a request body (config.Duration).
type durationField interface{ D() time.Duration }

// positiveDuration refuses a duration of zero or less in field key of v:
// "0" would otherwise read as "not given" and quietly become the default.
func positiveDuration(key string, value json.RawMessage, v any) error {
	f := fieldByJSONName(reflect.ValueOf(v), key)
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	if d, ok := f.Interface().(durationField); ok && d.D() <= 0 {
		return errs.Errorf(errs.EINVALID, "field %q must be a duration longer than zero, such as \"30s\" or \"1h\", not %s; leave it out for the default", key, value)
	}
	return nil
}

// fieldByJSONName is the field of struct (pointer) v that JSON key name
// decodes into, or the zero Value.
func fieldByJSONName(v reflect.Value, name string) reflect.Value {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = sf.Name
		}
		if strings.EqualFold(tag, name) {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// jsonKind says what JSON value a Go type reads from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return fmt.Sprintf("a %s", t.Kind())
}
