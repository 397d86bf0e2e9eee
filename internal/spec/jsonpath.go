package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSONPath is a compiled path into a decoded JSON document, such as
// `$.status`, `$.items[0].name`, `$["key with space"]` or `$.list[-1]`
// (negative indexes count from the end). Wildcards, filters and slices are
// not supported: a health check names one value.
//
// The evaluator is written here by hand rather than taken from a library
// because the subset is small, and a hand-written parser lets configuration
// validation reject a bad path with a precise message.
type JSONPath struct {
	src  string
	segs []pathSegment
}

// pathSegment is one step: a member name, or an array index when isIndex.
type pathSegment struct {
	name    string
	index   int
	isIndex bool
}

// maxJSONPathLen bounds the length of a path so a hostile config cannot make
// compilation expensive.
const maxJSONPathLen = 1024

// CompileJSONPath parses a path. It must start with `$`; each further step
// is `.name`, `[index]` or `["name"]` (single quotes work too; a backslash
// escapes the quote or itself inside the brackets).
func CompileJSONPath(src string) (JSONPath, error) {
	if len(src) > maxJSONPathLen {
		return JSONPath{}, fmt.Errorf("JSON path is longer than %d characters", maxJSONPathLen)
	}
	if !strings.HasPrefix(src, "$") {
		return JSONPath{}, fmt.Errorf("JSON path %q must start with $", src)
	}
	p := JSONPath{src: src}
	i := 1
	for i < len(src) {
		switch src[i] {
		case '.':
			j := i + 1
			for j < len(src) && src[j] != '.' && src[j] != '[' {
				j++
			}
			name := src[i+1 : j]
			if name == "" {
				return JSONPath{}, fmt.Errorf("JSON path %q: empty member name at offset %d", src, i)
			}
			if name == "*" {
				return JSONPath{}, fmt.Errorf("JSON path %q: wildcards are not supported", src)
			}
			p.segs = append(p.segs, pathSegment{name: name})
			i = j
		case '[':
			seg, next, err := parseBracket(src, i)
			if err != nil {
				return JSONPath{}, fmt.Errorf("JSON path %q: %w", src, err)
			}
			p.segs = append(p.segs, seg)
			i = next
		default:
			return JSONPath{}, fmt.Errorf("JSON path %q: unexpected %q at offset %d, expected . or [", src, src[i], i)
		}
	}
	return p, nil
}

// parseBracket parses the bracket step starting at src[i] == '[' and returns
// the offset just after the closing bracket.
func parseBracket(src string, i int) (pathSegment, int, error) {
	i++ // past '['
	if i >= len(src) {
		return pathSegment{}, 0, fmt.Errorf("unclosed [ at end")
	}
	if q := src[i]; q == '"' || q == '\'' {
		var b strings.Builder
		j := i + 1
		for {
			if j >= len(src) {
				return pathSegment{}, 0, fmt.Errorf("unterminated quoted name starting at offset %d", i)
			}
			c := src[j]
			if c == '\\' {
				if j+1 >= len(src) {
					return pathSegment{}, 0, fmt.Errorf("dangling backslash at offset %d", j)
				}
				b.WriteByte(src[j+1])
				j += 2
				continue
			}
			if c == q {
				break
			}
			b.WriteByte(c)
			j++
		}
		j++ // past closing quote
		if j >= len(src) || src[j] != ']' {
			return pathSegment{}, 0, fmt.Errorf("expected ] after quoted name at offset %d", j)
		}
		return pathSegment{name: b.String()}, j + 1, nil
	}
	end := strings.IndexByte(src[i:], ']')
	if end < 0 {
		return pathSegment{}, 0, fmt.Errorf("unclosed [ at offset %d", i-1)
	}
	text := src[i : i+end]
	if text == "*" {
		return pathSegment{}, 0, fmt.Errorf("wildcards are not supported")
	}
	n, err := strconv.Atoi(text)
	if err != nil || strings.HasPrefix(text, "+") {
		return pathSegment{}, 0, fmt.Errorf("index %q is not an integer; quote member names: [\"name\"]", text)
	}
	return pathSegment{index: n, isIndex: true}, i + end + 1, nil
}

// String returns the path as it was written.
func (p JSONPath) String() string { return p.src }

// Lookup returns the value at the path in doc, a document decoded by
// encoding/json into any (preferably with UseNumber), and whether it exists.
func (p JSONPath) Lookup(doc any) (any, bool) {
	cur := doc
	for _, s := range p.segs {
		if s.isIndex {
			arr, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(arr)
			}
			if i < 0 || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := obj[s.name]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// DecodeJSON decodes a document for Lookup, keeping numbers as written.
func DecodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// JSONText returns the text form of a decoded JSON value that Equals
// expectations compare against: strings without quotes, numbers as written,
// true/false, null, and compact JSON for objects and arrays.
func JSONText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
