package target

import (
	"net/http"
	"net/url"
	"testing"
)

// TestWeaknesses: each weakness flag changes what the wire shows, and
// without it the target does what Spring Security does.
func TestWeaknesses(t *testing.T) {
	loginAndLogout := func(t *testing.T, c Config) (cookie *http.Cookie, before, after string, afterLogout, noToken int) {
		tt := startTarget(t, c)
		b := newBrowser(t, tt.url)
		page := b.get("/login", htmlAccept)
		cookie = setCookies(page)["JSESSIONID"]
		before = b.cookie("JSESSIONID")
		wantStatus(t, "login", b.login("user3", "pass3"), http.StatusFound)
		after = b.cookie("JSESSIONID")
		noToken = b.do(http.MethodPost, "/api/orders", map[string]string{"Content-Type": "application/json", "Accept": "application/json"}, `{"item":"lamp","qty":1}`).status
		tok := csrfFrom(t, b.get("/logout", htmlAccept).body)
		b.postForm("/logout", url.Values{"_csrf": {tok}})
		old := newBrowser(t, tt.url)
		afterLogout = old.get("/api/profile", map[string]string{"Accept": "application/json", "Cookie": "JSESSIONID=" + after}).status
		return
	}
	t.Run("none", func(t *testing.T) {
		c, before, after, afterLogout, noToken := loginAndLogout(t, Config{})
		if !c.HttpOnly || before == after || len(after) != 32 || afterLogout != http.StatusUnauthorized || noToken != http.StatusForbidden {
			t.Fatalf("HttpOnly %v, id %q then %q, old session after logout %d, POST without its token %d", c.HttpOnly, before, after, afterLogout, noToken)
		}
	})
	t.Run("all", func(t *testing.T) {
		c, before, after, afterLogout, noToken := loginAndLogout(t, Config{CookieInsecure: true, NoRotate: true, NoInvalidate: true, NoCSRF: true, ShortIDs: true})
		if c.HttpOnly || c.SameSite != 0 || before != after || len(after) != 8 || afterLogout != http.StatusOK || noToken == http.StatusForbidden {
			t.Fatalf("HttpOnly %v, SameSite %v, id %q then %q, old session after logout %d, POST without its token %d", c.HttpOnly, c.SameSite, before, after, afterLogout, noToken)
		}
	})
}
