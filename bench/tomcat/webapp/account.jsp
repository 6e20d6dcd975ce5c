<%@ page contentType="text/html; charset=UTF-8" %><!DOCTYPE html>
<html><head><title>Account</title></head>
<body>
<p>Logged in as <%= request.getRemoteUser() %></p>
<p>Your account:
   <b class="user">
     <%= request.getRemoteUser() %>
   </b></p>
<a href="<%= response.encodeURL(request.getContextPath() + "/cart") %>">Cart</a>
</body></html>
