package target

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var formAction = regexp.MustCompile(`action="([^"]*)"`)

func TestServletFormWithCookies(t *testing.T) {
	tt := startTarget(t, Config{ServletForm: true})
	b := newBrowser(t, tt.url)
	r := b.get("/app/account", htmlAccept)
	wantStatus(t, "protected servlet page", r, http.StatusOK) // forwarded, not redirected
	ck := setCookies(r)["JSESSIONID"]
	if ck == nil || ck.Path != "/app" || !ck.HttpOnly {
		t.Fatalf("session cookie %+v, want Path=/app HttpOnly", ck)
	}
	// The client has not sent the cookie yet, so the action carries the id.
	if got := formAction.FindStringSubmatch(r.body)[1]; got != "j_security_check;jsessionid="+ck.Value {
		t.Fatalf("form action %q, want the id appended", got)
	}
	// Once the cookie comes back, URLs are left alone.
	r = b.get("/app/account", htmlAccept)
	if got := formAction.FindStringSubmatch(r.body)[1]; got != "j_security_check" {
		t.Fatalf("form action %q with the cookie sent", got)
	}

	bad := b.postForm("/app/j_security_check", url.Values{"j_username": {"user2"}, "j_password": {"x"}})
	wantStatus(t, "bad credentials", bad, http.StatusOK)
	if !strings.Contains(bad.body, "Invalid username and/or password") {
		t.Fatalf("error page:\n%s", bad.body)
	}

	r = b.postForm("/app/j_security_check", url.Values{"j_username": {"user2"}, "j_password": {"pass2"}})
	wantStatus(t, "login", r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/app/account" {
		t.Fatalf("Location %q, want /app/account", loc)
	}
	rotated := setCookies(r)["JSESSIONID"]
	if rotated == nil || rotated.Value == ck.Value {
		t.Fatal("the session id did not change at login")
	}
	page := b.get("/app/account", htmlAccept)
	if !strings.Contains(page.body, "Logged in as user2") {
		t.Fatalf("page:\n%s", page.body)
	}
	// The servlet application's cookie is not sent to the Spring side.
	wantStatus(t, "Spring API with the /app cookie", b.get("/api/profile", jsonAccept), http.StatusUnauthorized)
	if st := tt.Stats(); st.LoginsOK != 1 || st.LoginsFailed != 1 || st.Rotated != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestServletFormURLRewriting drives the flow with a client that keeps no
// cookies: the session travels in ;jsessionid= path parameters only.
func TestServletFormURLRewriting(t *testing.T) {
	tt := startTarget(t, Config{ServletForm: true})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(tt.url + "/app/?q=1")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	action := formAction.FindStringSubmatch(body)[1]
	if !strings.HasPrefix(action, "j_security_check;jsessionid=") {
		t.Fatalf("action %q", action)
	}
	resp, err = c.PostForm(tt.url+"/app/"+action, url.Values{"j_username": {"user3"}, "j_password": {"pass3"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/app/;jsessionid=[0-9A-F]{32}\?q=1$`).MatchString(loc) {
		t.Fatalf("status %d Location %q, want 303 to /app/;jsessionid=<new id>?q=1", resp.StatusCode, loc)
	}
	if strings.Contains(loc, strings.TrimPrefix(action, "j_security_check;jsessionid=")) {
		t.Fatal("the id in the redirect is the pre-login id")
	}
	resp, err = c.Get(tt.url + loc)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, "Logged in as user3") {
		t.Fatalf("page:\n%s", body)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSplitJSessionID(t *testing.T) {
	cases := []struct{ in, path, id string }{
		{"/app/account", "/app/account", ""},
		{"/app/j_security_check;jsessionid=ABC", "/app/j_security_check", "ABC"},
		{"/app;jsessionid=ABC/account", "/app/account", "ABC"},
		{"/app/x;jsessionid=ABC;other=1", "/app/x;other=1", "ABC"},
	}
	for _, c := range cases {
		if p, id := splitJSessionID(c.in); p != c.path || id != c.id {
			t.Errorf("splitJSessionID(%q) = %q, %q; want %q, %q", c.in, p, id, c.path, c.id)
		}
	}
}
