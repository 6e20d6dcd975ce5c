<%@ page contentType="application/json; charset=UTF-8" %><%
    Object cart = session.getAttribute("cart");
    int items = cart == null ? 0 : ((java.util.List<?>) cart).size();
%>{"username":"<%= request.getRemoteUser() %>","cart_items":<%= items %>}
