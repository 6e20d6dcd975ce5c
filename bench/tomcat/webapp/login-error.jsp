<%@ page contentType="text/html; charset=UTF-8" session="false" %><!DOCTYPE html>
<html><head><title>Login failed</title></head>
<body><h1>Login failed</h1><p>Bad user name or password. <a href="account">Try again</a>.</p></body></html>
