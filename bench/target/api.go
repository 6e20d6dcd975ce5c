package target

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// profile names the user the request was served as, and how it was
// authenticated, so that a client can prove its session is its own.
func (x *exchange) profile() {
	var buf [128]byte
	b := append(buf[:0], `{"username":`...)
	b = appendJSONString(b, x.user)
	b = append(b, `,"auth":"`...)
	b = append(b, x.via...)
	b = append(b, `"}`...)
	writeBody(x.w, http.StatusOK, ctJSON, b)
}

// maxOrdersPerUser bounds what a long write-heavy run keeps: the oldest
// orders of a user are dropped first.
const maxOrdersPerUser = 100

// Order is one entry of the demo API's per-user order list.
type Order struct {
	ID   int64  `json:"id"`
	User string `json:"user"`
	Item string `json:"item"`
	Qty  int    `json:"qty"`
}

type userOrders struct {
	mu     sync.Mutex
	next   int64
	orders []Order
}

// orderBook keeps orders per user, so that a test can see which user a
// write was made as, whichever session or token made it.
type orderBook struct {
	mu    sync.Mutex
	users map[string]*userOrders
}

func newOrderBook() *orderBook { return &orderBook{users: make(map[string]*userOrders)} }

func (ob *orderBook) of(user string) *userOrders {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	u := ob.users[user]
	if u == nil {
		u = &userOrders{}
		ob.users[user] = u
	}
	return u
}

// add makes a new order of user's.
func (ob *orderBook) add(user, item string, qty int) Order {
	u := ob.of(user)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.next++
	o := Order{ID: u.next, User: user, Item: item, Qty: qty}
	if len(u.orders) == maxOrdersPerUser {
		u.orders = append(u.orders[:0], u.orders[1:]...)
	}
	u.orders = append(u.orders, o)
	return o
}

// find returns one of user's orders.
func (ob *orderBook) find(user string, id int64) (Order, bool) {
	u := ob.of(user)
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, o := range u.orders {
		if o.ID == id {
			return o, true
		}
	}
	return Order{}, false
}

func (x *exchange) ordersEndpoint() {
	u := x.t.orders.of(x.user)
	switch x.r.Method {
	case http.MethodGet:
		u.mu.Lock()
		b, _ := json.Marshal(append([]Order{}, u.orders...))
		u.mu.Unlock()
		writeBody(x.w, http.StatusOK, ctJSON, b)
	case http.MethodPost:
		var in struct {
			Item string `json:"item"`
			Qty  int    `json:"qty"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(x.w, x.r.Body, 1<<16)).Decode(&in); err != nil || in.Item == "" || in.Qty < 1 {
			x.errorBody(http.StatusBadRequest, "Bad Request", `the body must be JSON {"item": non-empty, "qty": >= 1}`)
			return
		}
		o := x.t.orders.add(x.user, in.Item, in.Qty)
		b, _ := json.Marshal(o)
		x.w.Header()["Location"] = []string{"/api/orders/" + strconv.FormatInt(o.ID, 10)}
		writeBody(x.w, http.StatusCreated, ctJSON, b)
	default:
		x.methodNotAllowed("GET, POST")
	}
}

func (x *exchange) orderEndpoint(idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		x.notFound()
		return
	}
	u := x.t.orders.of(x.user)
	u.mu.Lock()
	i := -1
	for j := range u.orders {
		if u.orders[j].ID == id {
			i = j
			break
		}
	}
	var o Order
	if i >= 0 {
		o = u.orders[i]
	}
	switch {
	case i < 0:
		u.mu.Unlock()
		x.notFound()
	case x.r.Method == http.MethodGet:
		u.mu.Unlock()
		b, _ := json.Marshal(o)
		writeBody(x.w, http.StatusOK, ctJSON, b)
	case x.r.Method == http.MethodDelete:
		u.orders = append(u.orders[:i], u.orders[i+1:]...)
		u.mu.Unlock()
		x.w.WriteHeader(http.StatusNoContent)
	default:
		u.mu.Unlock()
		x.methodNotAllowed("GET, DELETE")
	}
}
