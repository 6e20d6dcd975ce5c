<%@ page contentType="text/html; charset=UTF-8" %><!DOCTYPE html>
<html><head><title>Home</title></head>
<body><p>Welcome, <%= request.getRemoteUser() %>. <a href="account">Account</a></p></body></html>
