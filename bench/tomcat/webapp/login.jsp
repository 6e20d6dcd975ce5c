<%@ page contentType="text/html; charset=UTF-8" session="true" %><!DOCTYPE html>
<html><head><title>Log in</title></head>
<body>
<h1>Log in</h1>
<form method="post" action="<%= response.encodeURL("j_security_check") %>">
  <label>User <input type="text" name="j_username"></label>
  <label>Password <input type="password" name="j_password"></label>
  <button type="submit">Log in</button>
</form>
</body></html>
