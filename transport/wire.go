package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
)

// The per-user connection's own HTTP/1.1 codec. net/http's Request.Write
// and ReadResponse cost a logged-in request more user time than its
// system calls (sorting and formatting the header, a map and a string for
// every header of the answer, a transfer reader and its body): on the
// authenticated loop they were 9 of its 19 µs of user time. The codec writes and
// reads the shapes a web application's answers take — HTTP/1.1, a header
// that fits the read buffer, a Content-Length or chunked body — and hands
// anything else to net/http, untouched, before it has consumed a byte: a
// 1xx, a 204 or 304, a HEAD, HTTP/1.0, a body that ends with the
// connection, folded or malformed header lines, a header past the buffer,
// Pragma, Trailer, an unusual Connection or Transfer-Encoding, several
// Content-Lengths. What it reads is what net/http would have read, field
// by field: wire_test.go holds it to net/http over a corpus of answers.
//
// Strings are what cost: an answer's header values are mostly those of the
// answer before (the same Content-Type, the same Content-Length), so each
// value whose bytes equal the previous answer's is that string again, and
// a header name is a constant or the previous answer's. An answer's Header
// map and its values' slice are its own until the VU gives the map back
// (RecycleHeader): a VU may judge an answer while it sends others, as a
// re-login does. Its *http.Response and body reader are the connection's,
// valid until the next request.

// wire is the codec's state, one per connection.
type wire struct {
	resp   http.Response
	body   wireBody
	outer  directBody    // what the VU reads: body, or net/http's
	status string        // the last answer's Status
	prev   []headerField // the last answer's fields, for their strings
	next   []headerField
	keys   []string     // the request header's names, sorted
	lent   []lentHeader // answers' headers the VU holds
	spare  []lentHeader // and those it gave back (RecycleHeader)
	one    [1]byte
}

// lentHeader is an answer's Header map and the slice its values are in.
type lentHeader struct {
	h    http.Header
	vals []string
}

// headerField is one name and value of an answer.
type headerField struct{ key, val string }

// chunkedTE is the TransferEncoding of a chunked answer, as net/http sets it.
var chunkedTE = []string{"chunked"}

// requestExcluded are the header names net/http's Request.Write writes
// itself or never.
func requestExcluded(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// writeRequest writes req to bw as net/http's Request.Write would, byte for
// byte, and closes its body. It declines (false, nil), having written
// nothing, a request of a shape it leaves to net/http.
func (w *wire) writeRequest(bw *bufio.Writer, req *http.Request) (bool, error) {
	host, ok := w.plainRequest(req)
	if !ok {
		return false, nil
	}
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	if req.URL.Path == "" {
		bw.WriteByte('/')
	} else {
		bw.WriteString(req.URL.Path)
	}
	if req.URL.ForceQuery || req.URL.RawQuery != "" {
		bw.WriteByte('?')
		bw.WriteString(req.URL.RawQuery)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	ua := "Go-http-client/1.1"
	if vs, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(vs) > 0 {
			ua = vs[0]
		}
	}
	if ua != "" {
		writeField(bw, "User-Agent", ua)
	}
	if req.Close {
		bw.WriteString("Connection: close\r\n")
	}
	if req.ContentLength > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), req.ContentLength, 10))
		bw.WriteString("\r\n")
	}
	for _, k := range w.keys {
		for _, v := range req.Header[k] {
			writeField(bw, k, v)
		}
	}
	bw.WriteString("\r\n")
	return true, w.writeBody(bw, req)
}

func writeField(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// plainRequest says whether the codec writes req, and the Host it sends.
func (w *wire) plainRequest(req *http.Request) (string, bool) {
	u := req.URL
	if u == nil || u.Opaque != "" || u.RawPath != "" || !isToken(req.Method) ||
		len(req.TransferEncoding) > 0 || req.Trailer != nil || !plainPath(u.Path) || hasCTL(u.RawQuery) {
		return "", false
	}
	if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && (trace.WroteHeaderField != nil || trace.WroteHeaders != nil || trace.Wait100Continue != nil) {
		return "", false
	}
	if req.Close {
		if _, ok := req.Header["Connection"]; ok {
			return "", false
		}
	}
	noBody := req.Body == nil || req.Body == http.NoBody
	if noBody != (req.ContentLength == 0) || req.ContentLength < 0 {
		return "", false
	}
	host := req.Host
	if host == "" {
		host = u.Host
	}
	if !plainHost(host) {
		return "", false
	}
	if !w.sortKeys(req.Header) {
		return "", false
	}
	return host, true
}

// sortKeys puts the names of h the request writes into w.keys, in
// net/http's (sorted) order; false if a name or a value is not one the
// codec writes as it is.
func (w *wire) sortKeys(h http.Header) bool {
	keys := w.keys[:0]
	for k, vs := range h {
		if !isToken(k) {
			return false
		}
		for _, v := range vs {
			if !plainValue(v) {
				return false
			}
		}
		if !requestExcluded(k) {
			keys = append(keys, k)
		}
	}
	for i := 1; i < len(keys); i++ { // a handful of names: insertion sort
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	w.keys = keys
	return true
}

// writeBody copies req's body, ContentLength bytes, into bw and closes it;
// a body of another length is net/http's error.
func (w *wire) writeBody(bw *bufio.Writer, req *http.Request) error {
	if req.ContentLength == 0 {
		return nil
	}
	defer req.Body.Close()
	var n int64
	for n < req.ContentLength {
		if bw.Available() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		buf := bw.AvailableBuffer()[:min(int64(bw.Available()), req.ContentLength-n)]
		m, err := req.Body.Read(buf)
		bw.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if n == req.ContentLength {
		m, _ := io.ReadFull(req.Body, w.one[:])
		if m == 0 {
			return nil
		}
		rest, _ := io.Copy(io.Discard, req.Body)
		n += int64(m) + rest
	}
	return fmt.Errorf("http: ContentLength=%d with Body length %d", req.ContentLength, n)
}

// isToken says whether s is a non-empty HTTP token (a method, a header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

func tokenByte(c byte) bool { return tokenBytes[c] }

// tokenBytes are the bytes of an HTTP token (RFC 9110 tchar).
var tokenBytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = true
		}
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// plainPath says whether p is its own escaped form (net/url escapes none of
// its bytes in a path).
func plainPath(p string) bool { return alnumOr(p, "-_.~$&+,/:;=@") }

// plainHost says whether h is a Host net/http sends as it is: ASCII (no
// punycode), no zone, no byte it would refuse.
func plainHost(h string) bool { return h != "" && alnumOr(h, "-._:[]") }

// alnumOr says whether every byte of s is an ASCII letter, a digit or one
// of extra.
func alnumOr(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// plainValue says whether net/http writes v unchanged: no line break to
// replace, no space to trim.
func plainValue(v string) bool {
	if v == "" {
		return true
	}
	return !isOWS(v[0]) && !isOWS(v[len(v)-1]) && strings.IndexByte(v, '\n') < 0 && strings.IndexByte(v, '\r') < 0
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// readResponse reads the answer to req from br. It declines (nil, nil),
// having consumed nothing, an answer it leaves to net/http.
func (w *wire) readResponse(br *bufio.Reader, req *http.Request) *http.Response {
	if req.Method == http.MethodHead {
		return nil
	}
	block := headerBlock(br)
	if block == nil {
		return nil
	}
	status, code, rest, ok := statusLine(block)
	if !ok || !w.fields(rest) {
		return nil
	}
	length, chunked, closing, ok := framing(w.next)
	if !ok {
		return nil
	}
	resp := &w.resp
	*resp = http.Response{
		Status: w.internStatus(status), StatusCode: code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header(chunked, closing), ContentLength: length, Close: closing, Request: req,
	}
	if chunked {
		resp.TransferEncoding = chunkedTE
	}
	br.Discard(len(block))
	w.body = wireBody{br: br, resp: resp, left: length, chunked: chunked}
	if chunked {
		w.body.left = 0
	}
	resp.Body = &w.body
	w.prev, w.next = w.next, w.prev[:0]
	return resp
}

// headerBlock returns the status line and header of the answer that br
// holds, through the blank line, peeked and not consumed; nil when the
// header is not all CRLF lines or does not fit br's buffer (net/http reads
// those), or when the connection ends first (net/http says how).
func headerBlock(br *bufio.Reader) []byte {
	scanned := 0 // bytes known to be whole lines
	for {
		buf, _ := br.Peek(br.Buffered())
		for {
			i := bytes.IndexByte(buf[scanned:], '\n')
			if i < 0 {
				break
			}
			end := scanned + i
			if end == 0 || buf[end-1] != '\r' || bytes.IndexByte(buf[scanned:end-1], '\r') >= 0 {
				return nil // a bare LF or CR
			}
			if end-1 == scanned {
				return buf[:end+1] // the blank line
			}
			scanned = end + 1
		}
		if bytes.IndexByte(buf[scanned:], '\r') >= 0 && buf[len(buf)-1] != '\r' {
			return nil
		}
		if len(buf) == br.Size() {
			return nil
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil
		}
	}
}

// statusLine parses "HTTP/1.1 DDD reason" at the start of block: the
// status ("DDD reason", as net/http keeps it), its code, and the bytes
// after the line. A 1xx, 204 or 304 is declined: they have no body.
func statusLine(block []byte) (status []byte, code int, rest []byte, ok bool) {
	i := bytes.IndexByte(block, '\n')
	line := block[:i-1]
	const proto = "HTTP/1.1 "
	if len(line) < len(proto)+3 || string(line[:len(proto)]) != proto {
		return nil, 0, nil, false
	}
	status = line[len(proto):]
	if len(status) > 3 && status[3] != ' ' {
		return nil, 0, nil, false
	}
	for _, c := range status[:3] {
		if c < '0' || c > '9' {
			return nil, 0, nil, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return nil, 0, nil, false
	}
	return status, code, block[i+1:], true
}

// fields parses the header lines of rest into w.next, with the previous
// answer's strings wherever the bytes are the same; false for a line
// net/http would read otherwise (folded, a space before the colon) or
// refuse.
func (w *wire) fields(rest []byte) bool {
	w.next = w.next[:0]
	var canon [64]byte
	for len(rest) > 2 {
		i := bytes.IndexByte(rest, '\n')
		line := rest[:i-1]
		rest = rest[i+1:]
		c := bytes.IndexByte(line, ':')
		if c <= 0 || c > len(canon) || isOWS(line[0]) {
			return false
		}
		key := canon[:c]
		upper := true
		for j := 0; j < c; j++ {
			b := line[j]
			if !tokenByte(b) {
				return false
			}
			if upper && 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			} else if !upper && 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			key[j] = b
			upper = b == '-'
		}
		val := trimOWS(line[c+1:])
		for _, b := range val {
			if b < ' ' && b != '\t' || b == 0x7f {
				return false
			}
		}
		w.next = append(w.next, w.intern(len(w.next), key, val))
	}
	return true
}

// intern makes the i-th field of an answer, reusing the strings of the
// previous answer's fields (at the same place first, then anywhere).
func (w *wire) intern(i int, key, val []byte) headerField {
	if i < len(w.prev) && w.prev[i].key == string(key) {
		if f := w.prev[i]; f.val == string(val) {
			return f
		}
	}
	var f headerField
	for _, p := range w.prev {
		if p.key == string(key) {
			f.key = p.key
			if p.val == string(val) {
				return p
			}
		}
	}
	if f.key == "" {
		f.key = commonKey(key)
	}
	f.val = string(val)
	return f
}

// commonKey is the string of a canonical header name: a constant for the
// names answers carry.
func commonKey(k []byte) string {
	switch string(k) {
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Date":
		return "Date"
	case "Set-Cookie":
		return "Set-Cookie"
	case "Location":
		return "Location"
	case "Cache-Control":
		return "Cache-Control"
	case "Expires":
		return "Expires"
	case "Vary":
		return "Vary"
	case "Server":
		return "Server"
	case "Keep-Alive":
		return "Keep-Alive"
	case "Connection":
		return "Connection"
	case "Transfer-Encoding":
		return "Transfer-Encoding"
	case "Content-Encoding":
		return "Content-Encoding"
	case "X-Content-Type-Options":
		return "X-Content-Type-Options"
	case "X-Frame-Options":
		return "X-Frame-Options"
	case "X-Xss-Protection":
		return "X-Xss-Protection"
	case "Etag":
		return "Etag"
	case "Last-Modified":
		return "Last-Modified"
	}
	return string(k)
}

func (w *wire) internStatus(b []byte) string {
	if w.status != string(b) {
		w.status = string(b)
	}
	return w.status
}

// framing reads how the body is delimited from the fields, as net/http's
// transfer reader does; false for what the codec leaves to it.
func framing(fs []headerField) (length int64, chunked, closing, ok bool) {
	var nCL, nTE, nConn int
	var cl, te, conn string // the first of each
	for _, f := range fs {
		switch f.key {
		case "Content-Length":
			nCL, cl = nCL+1, f.val
		case "Transfer-Encoding":
			nTE, te = nTE+1, f.val
		case "Connection":
			nConn, conn = nConn+1, f.val
		case "Pragma", "Trailer":
			return 0, false, false, false
		}
	}
	switch {
	case nConn > 1:
		return 0, false, false, false
	case nConn == 1 && asciiEqualFold(conn, "close"):
		closing = true
	case nConn == 1 && !asciiEqualFold(conn, "keep-alive"):
		return 0, false, false, false
	}
	switch {
	case nTE == 1 && nCL == 0 && asciiEqualFold(te, "chunked"):
		return -1, true, closing, true
	case nTE > 0 || nCL != 1 || len(cl) == 0 || len(cl) > 18:
		return 0, false, false, false
	}
	for i := 0; i < len(cl); i++ {
		c := cl[i]
		if c < '0' || c > '9' {
			return 0, false, false, false
		}
		length = length*10 + int64(c-'0')
	}
	return length, false, closing, true
}

func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// header makes the answer's Header from w.next: net/http drops a chunked
// answer's Transfer-Encoding and a closing answer's Connection. The map
// and the values' slice are the answer's own.
func (w *wire) header(chunked, closing bool) http.Header {
	var l lentHeader
	if n := len(w.spare); n > 0 {
		l = w.spare[n-1]
		w.spare = w.spare[:n-1]
		clear(l.h)
	} else {
		l.h = make(http.Header, len(w.next))
	}
	if cap(l.vals) < len(w.next) {
		l.vals = make([]string, len(w.next))
	}
	h, vals := l.h, l.vals[:len(w.next)]
	for i, f := range w.next {
		vals[i] = ""
		if chunked && f.key == "Transfer-Encoding" || closing && f.key == "Connection" {
			continue
		}
		if vs, ok := h[f.key]; ok {
			h[f.key] = append(vs, f.val)
			continue
		}
		vals[i] = f.val
		h[f.key] = vals[i : i+1 : i+1]
	}
	if len(w.lent) == maxLent {
		w.lent = append(w.lent[:0], w.lent[1:]...) // never given back: the collector's
	}
	w.lent = append(w.lent, l)
	return h
}

// maxLent bounds the headers a connection remembers lending: a VU judges
// one answer at a time, a few while a re-login nests.
const maxLent = 4

// recycle takes back h, which the VU is done with, with its values' slice,
// for a later answer. A map the codec did not lend (net/http read the
// answer) is left to the collector.
func (w *wire) recycle(h http.Header) {
	p := reflect.ValueOf(h).UnsafePointer()
	for i, l := range w.lent {
		if reflect.ValueOf(l.h).UnsafePointer() == p {
			w.lent = append(w.lent[:i], w.lent[i+1:]...)
			w.spare = append(w.spare, l)
			return
		}
	}
}

// errLineTooLong and errTrailerEOF are net/http's words for these faults.
var (
	errLineTooLong = errors.New("header line too long")
	errTrailerEOF  = errors.New("http: unexpected EOF reading trailer")
)

// wireBody reads an answer's body as net/http's body does: Content-Length
// bytes (io.ErrUnexpectedEOF if the connection ends first), or chunks
// until the last one and its trailer.
type wireBody struct {
	br       *bufio.Reader
	resp     *http.Response
	left     int64 // bytes of the body, or of the chunk, not yet read
	chunked  bool
	checkEnd bool  // the CRLF after a chunk's data is still to read
	excess   int64 // chunk framing beyond its data, as net/http bounds it
	err      error // sticky; io.EOF at the end
	two      [2]byte
}

func (b *wireBody) Read(p []byte) (int, error) {
	if b.chunked {
		return b.readChunked(p)
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		b.err = io.EOF
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF && b.left > 0:
		err = io.ErrUnexpectedEOF
	case err == nil && b.left == 0:
		err = io.EOF // with the last bytes, as net/http's body says it
	}
	b.err = err
	return n, err
}

// WriteTo hands the body to w from the read buffer, with no copy of its
// own: a discarded body costs no buffer.
func (b *wireBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if b.chunked && (b.checkEnd || b.left == 0) && b.err == nil {
			b.nextChunk()
			continue
		}
		if b.err != nil || (!b.chunked && b.left == 0) {
			if b.err == nil || b.err == io.EOF {
				b.err = io.EOF
				return total, nil
			}
			return total, b.err
		}
		k := b.br.Buffered()
		if k == 0 {
			if _, err := b.br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				b.err = err
				continue
			}
			k = b.br.Buffered()
		}
		buf, _ := b.br.Peek(int(min(int64(k), b.left)))
		n, err := w.Write(buf)
		b.br.Discard(n)
		b.left -= int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if b.chunked && b.left == 0 {
			b.checkEnd = true
		}
	}
}

func (b *wireBody) Close() error { return nil }

// readChunked is net/http's chunked reader: it returns what it has rather
// than wait for the end of a chunk or the next one's header.
func (b *wireBody) readChunked(p []byte) (n int, err error) {
	for b.err == nil {
		if b.checkEnd {
			if n > 0 && b.br.Buffered() < 2 {
				break
			}
			b.endChunk()
			continue
		}
		if b.left == 0 {
			if n > 0 && !b.chunkHeaderBuffered() {
				break
			}
			b.beginChunk()
			continue
		}
		if len(p) == 0 {
			break
		}
		rbuf := p
		if int64(len(rbuf)) > b.left {
			rbuf = rbuf[:b.left]
		}
		n0, err := b.br.Read(rbuf)
		n += n0
		p = p[n0:]
		b.left -= int64(n0)
		switch {
		case b.left == 0 && err == nil:
			b.checkEnd = true
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
		}
		b.err = err
	}
	return n, b.err
}

func (b *wireBody) chunkHeaderBuffered() bool {
	k := b.br.Buffered()
	if k == 0 {
		return false
	}
	buf, _ := b.br.Peek(k)
	return bytes.IndexByte(buf, '\n') >= 0
}

// nextChunk moves past the end of a chunk, or reads the next one's header.
func (b *wireBody) nextChunk() {
	if b.checkEnd {
		b.endChunk()
	} else {
		b.beginChunk()
	}
}

// endChunk reads the CRLF after a chunk's data.
func (b *wireBody) endChunk() {
	if _, err := io.ReadFull(b.br, b.two[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return
	}
	if string(b.two[:]) != "\r\n" {
		b.err = errors.New("malformed chunked encoding")
		return
	}
	b.checkEnd = false
}

// beginChunk reads a chunk's size line; the last chunk's trailer ends the
// body (b.err = io.EOF).
func (b *wireBody) beginChunk() {
	line, err := b.br.ReadSlice('\n')
	if err != nil {
		switch err {
		case io.EOF:
			err = io.ErrUnexpectedEOF
		case bufio.ErrBufferFull:
			err = errLineTooLong
		}
		b.err = err
		return
	}
	if i := bytes.IndexByte(line, '\r'); i < 0 {
		b.err = errors.New("chunked line ends with bare LF")
		return
	} else if i != len(line)-2 {
		b.err = errors.New("invalid CR in chunked line")
		return
	}
	line = line[:len(line)-2]
	if len(line) >= 4096 {
		b.err = errLineTooLong
		return
	}
	b.excess += int64(len(line)) + 2
	line, _, _ = bytes.Cut(bytes.TrimRight(line, " \t"), []byte(";"))
	size, err := parseHex(line)
	if err != nil {
		b.err = err
		return
	}
	b.excess = max(b.excess-16-2*int64(size), 0)
	if b.excess > 16<<10 {
		b.err = errors.New("chunked encoding contains too much non-data")
		return
	}
	b.left = int64(size)
	if size == 0 {
		b.err = b.trailer()
	}
}

func parseHex(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, errors.New("empty hex number for chunk length")
	}
	var n uint64
	for i, c := range v {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, errors.New("invalid byte in chunk length")
		}
		if i == 16 {
			return 0, errors.New("http chunk length too large")
		}
		n = n<<4 | uint64(c)
	}
	return n, nil
}

// trailer reads what follows the last chunk: a blank line, or trailer
// fields (into the answer's Trailer); io.EOF when the body is whole.
func (b *wireBody) trailer() error {
	buf, err := b.br.Peek(2)
	switch {
	case string(buf) == "\r\n":
		b.br.Discard(2)
		return io.EOF
	case len(buf) < 2:
		return errTrailerEOF
	case err != nil:
		return err
	}
	if !doubleCRLFAhead(b.br) {
		return errors.New("http: suspiciously long trailer after chunked body")
	}
	hdr, err := textproto.NewReader(b.br).ReadMIMEHeader()
	if err != nil {
		if err == io.EOF {
			return errTrailerEOF
		}
		return err
	}
	if b.resp.Trailer == nil {
		b.resp.Trailer = http.Header(hdr)
	} else {
		for k, vs := range hdr {
			b.resp.Trailer[k] = vs
		}
	}
	return io.EOF
}

// doubleCRLFAhead says whether the read buffer, as far as it goes, holds
// the end of a trailer: it is bounded by the buffer, as net/http bounds it.
func doubleCRLFAhead(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}
