<%@ page contentType="text/html; charset=UTF-8" import="java.util.ArrayList" %><%
    // The cart grows by one item a visit: a session that gets bigger as
    // the user shops, as a real store's does.
    @SuppressWarnings("unchecked")
    ArrayList<String> cart = (ArrayList<String>) session.getAttribute("cart");
    if (cart == null) {
        cart = new ArrayList<>();
    }
    String item = request.getParameter("item");
    cart.add(item == null ? "item-" + (cart.size() + 1) : item);
    session.setAttribute("cart", cart); // set again: a replicating or persistent manager sees the change
%><!DOCTYPE html>
<html><head><title>Cart</title></head>
<body><p>Cart of <b class="user"><%= request.getRemoteUser() %></b>: <span class="items"><%= cart.size() %></span> items.</p></body></html>
