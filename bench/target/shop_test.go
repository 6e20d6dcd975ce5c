package target

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	productLink = regexp.MustCompile(`<a class="product" href="(/shop/products/\d+)">`)
	shopCSRF    = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)
)

// TestShopJourney walks the shop as a user does: the catalogue, a
// product it links to, two products into the cart (the session grows),
// checkout with the CSRF token, and the order by its id, which is the
// user's alone.
func TestShopJourney(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	wantStatus(t, "login", b.login("user1", "pass1"), http.StatusFound)
	empty := tt.Stats().SessionBytes
	cat := b.get("/shop", htmlAccept)
	links := productLink.FindAllStringSubmatch(cat.body, -1)
	if cat.status != 200 || len(links) != len(catalogue) {
		t.Fatalf("catalogue: %d with %d product links, want %d", cat.status, len(links), len(catalogue))
	}
	for _, link := range []string{links[2][1], links[6][1], links[2][1]} {
		page := b.get(link, htmlAccept)
		m := shopCSRF.FindStringSubmatch(page.body)
		if page.status != 200 || m == nil {
			t.Fatalf("%s: %d, no _csrf", link, page.status)
		}
		id := strings.TrimPrefix(link, "/shop/products/")
		r := b.postForm("/shop/cart", url.Values{"product_id": {id}, "qty": {"2"}, "_csrf": {m[1]}})
		if r.status != http.StatusFound || r.header.Get("Location") != "/shop/cart" {
			t.Fatalf("add %s: %d %q", id, r.status, r.header.Get("Location"))
		}
	}
	// A line holds at most 999: ten more adds of 99 reach 994 (with
	// the 4 there), the eleventh is refused and changes nothing.
	csrf := shopCSRF.FindStringSubmatch(b.get(links[2][1], htmlAccept).body)[1]
	for i := range 11 {
		want := http.StatusFound
		if i == 10 {
			want = http.StatusConflict
		}
		if r := b.postForm("/shop/cart", url.Values{"product_id": {"3"}, "qty": {"99"}, "_csrf": {csrf}}); r.status != want {
			t.Fatalf("add %d of 99: %d, want %d", i+1, r.status, want)
		}
	}
	if r := b.postForm("/shop/cart", url.Values{"product_id": {"3"}, "qty": {"5"}, "_csrf": {csrf}}); r.status != http.StatusFound {
		t.Fatalf("add 5 to reach 999: %d", r.status)
	}
	if r := b.postForm("/shop/cart", url.Values{"product_id": {"1"}, "qty": {"1"}}); r.status != http.StatusForbidden {
		t.Fatalf("add without the CSRF token: %d, want 403", r.status)
	}
	cartPage := b.get("/shop/cart", htmlAccept)
	if !strings.Contains(cartPage.body, `<span id="cart-count">1001</span>`) || strings.Count(cartPage.body, `class="line"`) != 2 {
		t.Fatalf("cart: want 2 lines, 1001 items:\n%s", cartPage.body)
	}
	if grown := tt.Stats().SessionBytes; grown != empty+int64(len("3:999,7:2")) {
		t.Fatalf("session bytes %d after the cart, %d before; want the cart's 9 more", grown, empty)
	}
	m := shopCSRF.FindStringSubmatch(cartPage.body)
	r := b.postForm("/shop/checkout", url.Values{"_csrf": {m[1]}})
	if r.status != http.StatusFound || r.header.Get("Location") != "/shop/orders/1" {
		t.Fatalf("checkout: %d %q", r.status, r.header.Get("Location"))
	}
	order := b.get("/shop/orders/1", htmlAccept)
	if !strings.Contains(order.body, `<p id="order-owner">user1</p>`) || !strings.Contains(order.body, "Notebook x999, Headphones x2") {
		t.Fatalf("order page:\n%s", order.body)
	}
	if c := b.get("/shop/cart", htmlAccept); !strings.Contains(c.body, `<span id="cart-count">0</span>`) {
		t.Fatal("the cart was not emptied by checkout")
	}
	if r := b.postForm("/shop/checkout", url.Values{"_csrf": {m[1]}}); r.status != http.StatusConflict {
		t.Fatalf("checkout of an empty cart: %d, want 409", r.status)
	}
	other := newBrowser(t, tt.url)
	other.login("user2", "pass2")
	if r := other.get("/shop/orders/1", htmlAccept); r.status != http.StatusNotFound {
		t.Fatalf("another user's order: %d, want 404", r.status)
	}
}
