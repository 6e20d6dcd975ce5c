package transport

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// The codec is held to net/http, its oracle: every request it writes is
// the bytes Request.Write writes, and every answer it reads is what
// ReadResponse and net/http's body read from the same bytes, field by
// field, error by error, down to what is left on the connection after the
// body. The cases marked fast must take the codec's own path: a codec that
// declined everything would pass the comparison and speed nothing up.

func TestWireWritesWhatNetHTTPWrites(t *testing.T) {
	u := func(s string) *url.URL {
		t.Helper()
		p, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	body := func(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
	tests := []struct {
		name string
		fast bool
		req  func() *http.Request
	}{
		{"get", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://127.0.0.1:8080/api/profile"), Header: http.Header{
				"Accept": {"application/json"}, "Cookie": {"JSESSIONID=abc"}, "User-Agent": {"cohort"}, "Accept-Encoding": {"gzip"}}}
		}},
		{"query and forced query", true, func() *http.Request {
			r := &http.Request{Method: "GET", URL: u("http://h/shop?q=a%20b&x=1"), Header: http.Header{}}
			r.URL.ForceQuery = true
			return r
		}},
		{"empty path", true, func() *http.Request { return &http.Request{Method: "GET", URL: u("http://h"), Header: http.Header{}} }},
		{"no user agent header", true, func() *http.Request { return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{}} }},
		{"empty user agent", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{"User-Agent": {""}}}
		}},
		{"user agent without values", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{"User-Agent": {}}}
		}},
		{"post form", true, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/login"), ContentLength: 31, Body: body("username=user1&password=pass1&x"),
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Many": {"a", "b", "c"}}}
		}},
		{"post without body", true, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/logout"), Body: http.NoBody, Header: http.Header{}}
		}},
		{"put and patch and delete", true, func() *http.Request {
			return &http.Request{Method: "PATCH", URL: u("http://h/x"), Header: http.Header{}}
		}},
		{"delete", true, func() *http.Request {
			return &http.Request{Method: "DELETE", URL: u("http://h/x/1"), Header: http.Header{}}
		}},
		{"close", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Close: true, Header: http.Header{}}
		}},
		{"host field wins", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://127.0.0.1:1/"), Host: "app.example:8443", Header: http.Header{"Host": {"ignored"}}}
		}},
		{"ipv6 host", true, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://[::1]:8080/"), Header: http.Header{}}
		}},
		{"body larger than a buffer", true, func() *http.Request {
			b := strings.Repeat("x", 5000)
			return &http.Request{Method: "PUT", URL: u("http://h/big"), ContentLength: int64(len(b)), Body: body(b), Header: http.Header{}}
		}},
		// What the codec leaves to net/http.
		{"escaped path", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/a%20b/c%2Fd"), Header: http.Header{}}
		}},
		{"path to escape", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h", Path: "/a b?"}, Header: http.Header{}}
		}},
		{"opaque", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h", Opaque: "//h/x"}, Header: http.Header{}}
		}},
		{"zone", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://[fe80::1%25eth0]:80/"), Header: http.Header{}}
		}},
		{"unicode host", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://bücher.example/"), Header: http.Header{}}
		}},
		{"control byte in query", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h", Path: "/", RawQuery: "a=\x01"}, Header: http.Header{}}
		}},
		{"newline in a value", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{"X-A": {"one\r\ntwo"}}}
		}},
		{"spaces around a value", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{"X-A": {" v\t"}, "User-Agent": {" ua "}}}
		}},
		{"invalid header name", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Header: http.Header{"Bad Name": {"v"}, "Ok": {"v"}}}
		}},
		{"connection header with close", false, func() *http.Request {
			return &http.Request{Method: "GET", URL: u("http://h/"), Close: true, Header: http.Header{"Connection": {"close"}}}
		}},
		{"no method", false, func() *http.Request { return &http.Request{URL: u("http://h/"), Header: http.Header{}} }},
		{"unknown length", false, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/"), ContentLength: -1, Body: body("abc"), Header: http.Header{}}
		}},
		{"body without length", false, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/"), Body: body("abc"), Header: http.Header{}}
		}},
		{"chunked", false, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/"), ContentLength: -1, TransferEncoding: []string{"chunked"}, Body: body("abc"), Header: http.Header{}}
		}},
		// Bodies of the wrong length: the same error, after the same bytes.
		{"short body", true, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/"), ContentLength: 10, Body: body("abc"), Header: http.Header{}}
		}},
		{"long body", true, func() *http.Request {
			return &http.Request{Method: "POST", URL: u("http://h/"), ContentLength: 2, Body: body("abcdef"), Header: http.Header{}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			wantErr := errString(tt.req().Write(&want))
			var got bytes.Buffer
			bw := bufio.NewWriterSize(&got, 1<<10)
			var w wire
			req := tt.req()
			fast, err := w.writeRequest(bw, req)
			if !fast {
				err = req.Write(bw)
			}
			bw.Flush()
			if fast != tt.fast {
				t.Errorf("codec wrote it: %v, want %v", fast, tt.fast)
			}
			if errString(err) != wantErr {
				t.Errorf("error %q, want %q", errString(err), wantErr)
			}
			if got.String() != want.String() {
				t.Errorf("wrote\n%q\nnet/http writes\n%q", got.String(), want.String())
			}
		})
	}
}

// answer is what a reader made of an answer's bytes.
type answer struct {
	Err                    string
	Status                 string
	StatusCode             int
	Proto                  string
	ProtoMajor, ProtoMinor int
	Header                 http.Header
	ContentLength          int64
	TransferEncoding       []string
	Close                  bool
	Body                   string
	BodyErr                string
	Trailer                http.Header
	Rest                   string // what is left on the connection
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readAnswer reads resp's body (with Read, or with WriteTo when drain) and
// what follows it on br.
func readAnswer(resp *http.Response, err error, br *bufio.Reader, drain bool) answer {
	if err != nil {
		return answer{Err: err.Error()}
	}
	a := answer{Status: resp.Status, StatusCode: resp.StatusCode, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor,
		ProtoMinor: resp.ProtoMinor, Header: resp.Header, ContentLength: resp.ContentLength,
		TransferEncoding: resp.TransferEncoding, Close: resp.Close}
	var body []byte
	if drain {
		var buf bytes.Buffer
		_, err = io.Copy(&buf, resp.Body) // the body's WriteTo
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(iotest.OneByteReader(resp.Body))
	}
	a.Body, a.BodyErr, a.Trailer = string(body), errString(err), resp.Trailer
	rest, _ := io.ReadAll(br)
	a.Rest = string(rest)
	return a
}

func TestWireReadsWhatNetHTTPReads(t *testing.T) {
	const next = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"
	long := strings.Repeat("v", 5000)
	tests := []struct {
		name   string
		fast   bool
		method string
		raw    string
	}{
		{"content length", true, "GET", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\nDate: Fri, 04 Dec 2026 03:00:00 GMT\r\n\r\n{\"username\":\"user1\"}" + next},
		{"login redirect", true, "POST", "HTTP/1.1 302 Found\r\nLocation: /account\r\nSet-Cookie: JSESSIONID=new; Path=/; HttpOnly\r\nSet-Cookie: XSRF-TOKEN=t; Path=/\r\nContent-Length: 0\r\n\r\n" + next},
		{"lower-case names", true, "GET", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-custom-HEADER: a\r\nwww-authenticate: b\r\n\r\nok" + next},
		{"values trimmed", true, "GET", "HTTP/1.1 200 OK\r\nX-A:  \t v w \t\r\nX-B:\r\nContent-Length:  2 \r\n\r\nok" + next},
		{"obs-text value", true, "GET", "HTTP/1.1 200 OK\r\nX-A: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n" + next},
		{"no reason", true, "GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n" + next},
		{"reason with spaces", true, "GET", "HTTP/1.1 503 Service  Unavailable \r\nContent-Length: 0\r\n\r\n" + next},
		{"odd status", true, "GET", "HTTP/1.1 299 Whatever\r\nContent-Length: 1\r\n\r\nx" + next},
		{"chunked", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n" + next},
		{"chunked upper case", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\na \t\r\n0123456789\r\n0\r\n\r\n" + next},
		{"chunked trailer", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n" + next},
		{"chunked bad size", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
		{"chunked no crlf after data", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"},
		{"chunked bare lf", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"},
		{"chunked cut short", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"},
		{"chunked no last chunk", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"},
		{"chunked trailer cut", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"},
		{"chunked size too large", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n"},
		{"chunked too much framing", true, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1;"+strings.Repeat("e", 200)+"\r\nx\r\n", 100) + "0\r\n\r\n"},
		{"content length cut short", true, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
		{"connection close", true, "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"},
		{"connection keep-alive", true, "GET", "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=20\r\nContent-Length: 2\r\n\r\nok" + next},
		{"gzip as it came", true, "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00" + next},
		// What the codec leaves to net/http.
		{"head", false, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + next},
		{"no content", false, "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n" + next},
		{"not modified", false, "GET", "HTTP/1.1 304 Not Modified\r\nEtag: \"x\"\r\n\r\n" + next},
		{"early hints", false, "GET", "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + next},
		{"unsolicited continue", false, "GET", "HTTP/1.1 100 Continue\r\n\r\n" + next},
		{"http/1.0", false, "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"body to the end", false, "GET", "HTTP/1.1 200 OK\r\n\r\nuntil the connection closes"},
		{"folded line", false, "GET", "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n" + next},
		{"space before colon", false, "GET", "HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 0\r\n\r\n" + next},
		{"space first", false, "GET", "HTTP/1.1 200 OK\r\n X-A: v\r\nContent-Length: 0\r\n\r\n" + next},
		{"invalid name", false, "GET", "HTTP/1.1 200 OK\r\nX(A): v\r\nContent-Length: 0\r\n\r\n" + next},
		{"control byte in value", false, "GET", "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n" + next},
		{"bare lf lines", false, "GET", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok" + next},
		{"bare cr", false, "GET", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n" + next},
		{"no colon", false, "GET", "HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 0\r\n\r\n" + next},
		{"two content lengths", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok" + next},
		{"differing content lengths", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok" + next},
		{"negative content length", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok"},
		{"signed content length", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok"},
		{"empty content length", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok"},
		{"huge content length", false, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok"},
		{"chunked and length", false, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + next},
		{"gzip transfer encoding", false, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"},
		{"two transfer encodings", false, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"pragma", false, "GET", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n" + next},
		{"declared trailer", false, "GET", "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 1\r\n\r\n" + next},
		{"connection upgrade", false, "GET", "HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n" + next},
		{"header past the buffer", false, "GET", "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 2\r\n\r\nok" + next},
		{"not http", false, "GET", "SSH-2.0-OpenSSH_9.2\r\n\r\n"},
		{"bad status code", false, "GET", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"},
		{"long status code", false, "GET", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"},
		{"http/2 preface", false, "GET", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"cut in the header", false, "GET", "HTTP/1.1 200 OK\r\nContent-Len"},
		{"nothing", false, "GET", ""},
	}
	for _, tt := range tests {
		for _, feed := range []string{"whole", "byte by byte"} {
			for _, drain := range []bool{false, true} {
				t.Run(tt.name+"/"+feed+"/"+map[bool]string{false: "read", true: "drain"}[drain], func(t *testing.T) {
					src := func() io.Reader {
						if feed == "whole" {
							return strings.NewReader(tt.raw)
						}
						return iotest.OneByteReader(strings.NewReader(tt.raw))
					}
					req := &http.Request{Method: tt.method}
					br := bufio.NewReaderSize(src(), 4<<10)
					resp, err := http.ReadResponse(br, req)
					want := readAnswer(resp, err, br, drain)

					br = bufio.NewReaderSize(src(), 4<<10)
					var w wire
					resp, err = w.readResponse(br, req), nil
					fast := resp != nil
					if !fast {
						// Declined with nothing consumed: net/http reads it all.
						resp, err = http.ReadResponse(br, req)
					}
					got := readAnswer(resp, err, br, drain)
					if fast != tt.fast {
						t.Errorf("codec read it: %v, want %v", fast, tt.fast)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("codec read\n%+v\nnet/http reads\n%+v", got, want)
					}
				})
			}
		}
	}
}

// repeating is a connection that answers every read with the same answer,
// again and again.
type repeating struct {
	answer []byte
	off    int
}

func (r *repeating) Read(p []byte) (int, error) {
	n := copy(p, r.answer[r.off:])
	r.off = (r.off + n) % len(r.answer)
	return n, nil
}

// loginAnswer and profileAnswer are the built-in target's answers to the
// authenticated loop, as it sends them.
const (
	profileAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Fri, 04 Dec 2026 03:00:00 GMT\r\nContent-Length: 37\r\n\r\n{\"username\":\"user1\",\"auth\":\"session\"}"
	chunkedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Fri, 04 Dec 2026 03:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n25\r\n{\"username\":\"user1\",\"auth\":\"session\"}\r\n0\r\n\r\n"
)

func profileRequest() *http.Request {
	u, _ := url.Parse("http://127.0.0.1:8080/api/profile")
	return &http.Request{Method: "GET", URL: u, Host: u.Host, Body: http.NoBody, Header: http.Header{
		"Accept": {"application/json"}, "Accept-Encoding": {"gzip"}, "Cookie": {"JSESSIONID=0123456789ABCDEF0123456789ABCDEF"}}}
}

// exchange writes req and reads, drains and gives back one answer with the
// codec, as directConn does.
func (w *wire) exchange(bw *bufio.Writer, br *bufio.Reader, req *http.Request) error {
	if _, err := w.writeRequest(bw, req); err != nil {
		return err
	}
	bw.Flush()
	resp := w.readResponse(br, req)
	if resp == nil {
		return io.ErrUnexpectedEOF
	}
	_, err := io.Copy(io.Discard, resp.Body)
	w.recycle(resp.Header)
	return err
}

func TestWireAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations under the race detector are not the program's")
	}
	for _, answer := range []string{profileAnswer, chunkedAnswer} {
		var w wire
		req := profileRequest()
		bw := bufio.NewWriterSize(io.Discard, 1<<10)
		br := bufio.NewReaderSize(&repeating{answer: []byte(answer)}, 4<<10)
		if err := w.exchange(bw, br, req); err != nil { // the first answer makes its strings
			t.Fatal(err)
		}
		// Header map and values come back to the codec: no allocation.
		if n := testing.AllocsPerRun(100, func() { w.exchange(bw, br, req) }); n != 0 {
			t.Errorf("%v allocations an exchange, want none", n)
		}
	}
}

// BenchmarkCodec is one logged-in request and its answer through each
// codec, with no network: what the codec itself costs.
func BenchmarkCodec(b *testing.B) {
	for _, answer := range []struct{ name, raw string }{{"length", profileAnswer}, {"chunked", chunkedAnswer}} {
		b.Run("net-http/"+answer.name, func(b *testing.B) {
			req := profileRequest()
			bw := bufio.NewWriterSize(io.Discard, 1<<10)
			br := bufio.NewReaderSize(&repeating{answer: []byte(answer.raw)}, 4<<10)
			b.ReportAllocs()
			for b.Loop() {
				req.Write(bw)
				bw.Flush()
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		b.Run("wire/"+answer.name, func(b *testing.B) {
			var w wire
			req := profileRequest()
			bw := bufio.NewWriterSize(io.Discard, 1<<10)
			br := bufio.NewReaderSize(&repeating{answer: []byte(answer.raw)}, 4<<10)
			b.ReportAllocs()
			for b.Loop() {
				if err := w.exchange(bw, br, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// An answer's header is its own until the VU gives it back: a re-login
// reads answers while the lost answer is still judged.
func TestWireHeadersNest(t *testing.T) {
	answer := func(loc string) string {
		return "HTTP/1.1 302 Found\r\nLocation: " + loc + "\r\nContent-Length: 0\r\n\r\n"
	}
	br := bufio.NewReaderSize(strings.NewReader(answer("/lost")+answer("/login")+answer("/account")+answer("/again")), 4<<10)
	var w wire
	req := &http.Request{Method: "GET"}
	read := func() http.Header {
		t.Helper()
		resp := w.readResponse(br, req)
		if resp == nil {
			t.Fatal("declined")
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Header
	}
	lost := read()
	login := read() // while lost is judged
	w.recycle(login)
	account := read() // in login's map
	if got := lost.Get("Location"); got != "/lost" {
		t.Errorf("the held answer's Location became %q", got)
	}
	if got := account.Get("Location"); got != "/account" {
		t.Errorf("Location %q, want /account", got)
	}
	w.recycle(http.Header{"Location": {"/not lent"}}) // net/http's: ignored
	w.recycle(lost)
	again := read()
	if got, want := again.Get("Location"), "/again"; got != want || account.Get("Location") != "/account" {
		t.Errorf("Location %q (want %q), held answer's %q", got, want, account.Get("Location"))
	}
}
