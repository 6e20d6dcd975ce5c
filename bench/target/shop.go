package target

import (
	"html"
	"net/http"
	"strconv"
	"strings"
)

// The shop is what a journey walks through, as on a real site: a
// catalogue page with product links, a product page with an add-to-cart
// form, a cart kept in the session (so the session grows as the user
// shops), a checkout with the CSRF token, and the order by its id.

// product is one entry of the catalogue.
type product struct {
	name  string
	cents int
}

// catalogue is the shop's products, by id (1 up).
var catalogue = []product{
	{"Desk lamp", 2900}, {"Coffee mug", 900}, {"Notebook", 450}, {"Fountain pen", 3500},
	{"Backpack", 5900}, {"Water bottle", 1500}, {"Headphones", 8900}, {"Keyboard", 6900},
	{"Monitor stand", 3900}, {"Plant pot", 1200}, {"Wall clock", 2500}, {"Bookend", 1800},
}

// maxLineQty bounds a cart line's quantity: past it, adding more of the
// product is refused. A cart has a line per product at most (the
// catalogue bounds the lines), so this bounds the session's size too: a
// journey that fills a cart and never checks out cannot grow it forever.
const maxLineQty = 999

func productByID(s string) (int, bool) {
	id, err := strconv.Atoi(s)
	return id, err == nil && id >= 1 && id <= len(catalogue)
}

// shop serves /shop and below for a logged-in user.
func (x *exchange) shop(p string) {
	switch {
	case p == "/shop":
		x.public(http.MethodGet, x.cataloguePage)
	case strings.HasPrefix(p, "/shop/products/"):
		x.public(http.MethodGet, func() { x.productPage(p[len("/shop/products/"):]) })
	case p == "/shop/cart":
		if x.r.Method == http.MethodPost {
			x.addToCart()
			return
		}
		x.public(http.MethodGet, x.cartPage)
	case p == "/shop/checkout":
		x.public(http.MethodPost, x.checkout)
	case strings.HasPrefix(p, "/shop/orders/"):
		x.public(http.MethodGet, func() { x.orderPage(p[len("/shop/orders/"):]) })
	default:
		x.notFound()
	}
}

func (x *exchange) cataloguePage() {
	var b strings.Builder
	b.WriteString("<h1>Catalogue</h1>\n<ul id=\"products\">\n")
	for i, p := range catalogue {
		b.WriteString(`<li><a class="product" href="/shop/products/` + strconv.Itoa(i+1) + `">` + p.name + "</a> " + price(p.cents) + "</li>\n")
	}
	b.WriteString("</ul>\n<p><a href=\"/shop/cart\">Cart</a></p>\n")
	x.shopPage("Catalogue", b.String())
}

func (x *exchange) productPage(idText string) {
	id, ok := productByID(idText)
	if !ok {
		x.notFound()
		return
	}
	p := catalogue[id-1]
	x.shopPage(p.name, `<h1 class="product-name">`+p.name+`</h1>
<p class="price">`+price(p.cents)+`</p>
<form id="add-to-cart" method="post" action="/shop/cart">
<input type="hidden" name="product_id" value="`+strconv.Itoa(id)+`">
<input type="number" name="qty" value="1" min="1">
<input type="hidden" name="_csrf" value="`+maskToken(x.csrfToken())+`">
<button type="submit">Add to cart</button>
</form>
`)
}

// addToCart adds a product to the session's cart (CSRF was checked on
// the way in) and sends the browser to the cart, as a form post does.
func (x *exchange) addToCart() {
	id, ok := productByID(x.r.PostFormValue("product_id"))
	qty, err := strconv.Atoi(x.r.PostFormValue("qty"))
	if !ok || err != nil || qty < 1 || qty > 99 {
		x.errorBody(http.StatusBadRequest, "Bad Request", "product_id must be a product, qty 1 to 99")
		return
	}
	full := false
	v, live := x.t.store.update(x.r.Context(), x.sess.id, x.now, func(s *session) {
		lines := cartLines(s.cart)
		if have, _ := lines.qty(id); have+qty > maxLineQty {
			full = true
			return
		}
		s.cart = lines.add(id, qty).String()
	})
	switch {
	case !live:
		x.entryPoint()
	case full:
		x.errorBody(http.StatusConflict, "Conflict", "the cart holds at most "+strconv.Itoa(maxLineQty)+" of a product")
	default:
		x.sess = v
		x.redirect(http.StatusFound, "/shop/cart")
	}
}

func (x *exchange) cartPage() {
	lines := cartLines(x.sess.cart)
	var b strings.Builder
	b.WriteString("<h1>Cart</h1>\n<table id=\"cart\">\n")
	total, items := 0, 0
	for _, l := range lines {
		p := catalogue[l.product-1]
		b.WriteString(`<tr class="line" data-product="` + strconv.Itoa(l.product) + `"><td>` + p.name + `</td><td class="qty">` +
			strconv.Itoa(l.qty) + "</td></tr>\n")
		total += p.cents * l.qty
		items += l.qty
	}
	b.WriteString("</table>\n<p>Items: <span id=\"cart-count\">" + strconv.Itoa(items) + "</span>, total <span id=\"cart-total\">" + price(total) + "</span></p>\n")
	b.WriteString(`<form id="checkout" method="post" action="/shop/checkout"><input type="hidden" name="_csrf" value="` +
		maskToken(x.csrfToken()) + `"><button type="submit">Check out</button></form>` + "\n")
	x.shopPage("Cart", b.String())
}

// checkout turns the cart into an order of the user's and empties it.
func (x *exchange) checkout() {
	var cart string
	v, live := x.t.store.update(x.r.Context(), x.sess.id, x.now, func(s *session) { cart, s.cart = s.cart, "" })
	if !live {
		x.entryPoint()
		return
	}
	x.sess = v
	lines := cartLines(cart)
	if len(lines) == 0 {
		x.errorBody(http.StatusConflict, "Conflict", "the cart is empty")
		return
	}
	var desc []string
	n := 0
	for _, l := range lines {
		desc = append(desc, catalogue[l.product-1].name+" x"+strconv.Itoa(l.qty))
		n += l.qty
	}
	o := x.t.orders.add(x.user, strings.Join(desc, ", "), n)
	x.redirect(http.StatusFound, "/shop/orders/"+strconv.FormatInt(o.ID, 10))
}

func (x *exchange) orderPage(idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	o, ok := x.t.orders.find(x.user, id)
	if err != nil || !ok {
		x.notFound()
		return
	}
	x.shopPage("Order "+idText, `<h1>Order <span id="order-id">`+idText+`</span></h1>
<p id="order-owner">`+html.EscapeString(o.User)+`</p>
<p id="order-items">`+html.EscapeString(o.Item)+`</p>
<p>Items: <span id="order-count">`+strconv.Itoa(o.Qty)+`</span></p>
`)
}

// shopPage is a page of the shop, with the CSRF meta tags of every page.
func (x *exchange) shopPage(title, main string) {
	masked := maskToken(x.csrfToken())
	writeBody(x.w, http.StatusOK, ctHTML, []byte(pageHead+`<meta name="_csrf" content="`+masked+`">
<title>`+html.EscapeString(title)+`</title>
</head>
<body>
`+main+`<p id="user">Logged in as `+html.EscapeString(x.user)+`</p>
</body>
</html>
`))
}

func price(cents int) string {
	return strconv.Itoa(cents/100) + "." + strconv.Itoa(cents%100/10) + strconv.Itoa(cents%10)
}

// cartLine is one product of a cart.
type cartLine struct{ product, qty int }

type cart []cartLine

// cartLines reads a session's cart ("3:1,7:2").
func cartLines(s string) cart {
	var c cart
	for _, f := range strings.Split(s, ",") {
		p, q, ok := strings.Cut(f, ":")
		id, err1 := strconv.Atoi(p)
		n, err2 := strconv.Atoi(q)
		if ok && err1 == nil && err2 == nil {
			c = append(c, cartLine{id, n})
		}
	}
	return c
}

func (c cart) qty(product int) (int, bool) {
	for _, l := range c {
		if l.product == product {
			return l.qty, true
		}
	}
	return 0, false
}

func (c cart) add(product, qty int) cart {
	for i := range c {
		if c[i].product == product {
			c[i].qty += qty
			return c
		}
	}
	return append(c, cartLine{product, qty})
}

func (c cart) String() string {
	var b strings.Builder
	for i, l := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l.product) + ":" + strconv.Itoa(l.qty))
	}
	return b.String()
}
