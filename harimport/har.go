// Package harimport turns a recorded browser session, a HAR 1.2 file,
// into a cohort profile that runs as it stands: it finds the login and
// the session, replaces every value the client received earlier in the
// recording by an extractor and a template (correlation), drops static
// assets, and makes the rest of the recording a journey.
//
// docs/import.md says what it detects and how to fix what it could not.
package harimport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

// HAR is the part of a HAR 1.2 file that an import reads.
type HAR struct {
	Log struct {
		Version string  `json:"version"`
		Entries []Entry `json:"entries"`
	} `json:"log"`
}

// Entry is one exchange of a HAR file.
type Entry struct {
	Started  time.Time `json:"startedDateTime"`
	Time     float64   `json:"time"`
	Request  Request   `json:"request"`
	Response Response  `json:"response"`
	// ResourceType is Chromium's and Playwright's word for what asked for
	// the resource: document, fetch, xhr, script, stylesheet, image, ...
	ResourceType string `json:"_resourceType"`
}

// Request is a HAR request.
type Request struct {
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Headers  []NV      `json:"headers"`
	Cookies  []NV      `json:"cookies"`
	PostData *PostData `json:"postData"`
}

// PostData is a request body.
type PostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Params   []NV   `json:"params"`
}

// Response is a HAR response.
type Response struct {
	Status      int     `json:"status"`
	Headers     []NV    `json:"headers"`
	Cookies     []NV    `json:"cookies"`
	Content     Content `json:"content"`
	RedirectURL string  `json:"redirectURL"`
}

// Content is a response body; Encoding "base64" means Text is base64.
type Content struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding"`
}

// NV is a name and a value: a header, a cookie, a parameter.
type NV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Parse decodes a HAR file's bytes and checks what the import relies on.
// A problem is a *profiles.Error, placed at the file, the line of the
// entry and its field; it never quotes a value of the recording (they
// hold secrets).
func Parse(file string, data []byte) (*HAR, error) {
	var h HAR
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, jsonError(file, data, err)
	}
	lines := entryLines(data)
	at := func(i int, field, msg string) error {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		return &profiles.Error{File: file, Line: line, Field: fmt.Sprintf("log.entries[%d].%s", i, field), Msg: msg}
	}
	if len(h.Log.Entries) == 0 {
		return nil, &profiles.Error{File: file, Field: "log.entries", Msg: "no entries: is this a HAR file (a browser's \"Save all as HAR with content\")?"}
	}
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		u, err := url.Parse(e.Request.URL)
		switch {
		case e.Request.Method == "":
			return nil, at(i, "request.method", "missing")
		case err != nil || !knownScheme[u.Scheme] || u.Host == "":
			return nil, at(i, "request.url", "not an absolute http, https or ws URL")
		case e.Started.IsZero():
			return nil, at(i, "startedDateTime", "missing (want an ISO 8601 time)")
		case e.Response.Content.Encoding != "" && e.Response.Content.Encoding != "base64":
			return nil, at(i, "response.content.encoding", "want base64 or nothing")
		}
	}
	return &h, nil
}

// knownScheme are the URL schemes a browser's recording holds: pages and
// API calls, and WebSockets (dropped by the import).
var knownScheme = map[string]bool{"http": true, "https": true, "ws": true, "wss": true}

// jsonError places a decoding error at its line.
func jsonError(file string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &profiles.Error{File: file, Line: lineAt(data, syn.Offset), Msg: "not JSON: " + syn.Error()}
	case errors.As(err, &typ):
		return &profiles.Error{File: file, Line: lineAt(data, typ.Offset), Field: typ.Field,
			Msg: fmt.Sprintf("want a %s, not a JSON %s", typ.Type, typ.Value)}
	}
	return &profiles.Error{File: file, Msg: err.Error()}
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// entryLines finds the line each element of log.entries starts on, for
// messages: a walk over the tokens, no second decoding of the values.
func entryLines(data []byte) []int {
	d := json.NewDecoder(bytes.NewReader(data))
	if !enterKey(d, "log") || !enterKey(d, "entries") {
		return nil
	}
	if t, err := d.Token(); err != nil || t != json.Delim('[') {
		return nil
	}
	var lines []int
	for d.More() {
		// The offset is after the comma; the element starts at the next
		// non-space byte.
		off := d.InputOffset()
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
			off++
		}
		lines = append(lines, lineAt(data, off))
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			break
		}
	}
	return lines
}

// enterKey reads an object's opening and its members up to key, leaving
// the decoder before key's value.
func enterKey(d *json.Decoder, key string) bool {
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return false
		}
		if t == key {
			return true
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// header returns the first value of a header, by name in any case.
func header(h []NV, name string) string {
	for _, nv := range h {
		if strings.EqualFold(nv.Name, name) {
			return nv.Value
		}
	}
	return ""
}

// body returns the response body as bytes.
func (r *Response) body() []byte {
	if r.Content.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(r.Content.Text)
		if err == nil {
			return b
		}
	}
	return []byte(r.Content.Text)
}

// mime returns the response's media type, lower case, without parameters.
func (r *Response) mime() string {
	m := r.Content.MimeType
	if m == "" {
		m = header(r.Headers, "Content-Type")
	}
	m, _, _ = strings.Cut(m, ";")
	return strings.ToLower(strings.TrimSpace(m))
}
