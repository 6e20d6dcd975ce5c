<%@ page contentType="text/plain; charset=UTF-8" session="false" %><%
    // A session without a login, for tests to see replication at work:
    // ?set=V makes one holding V; without it, the value this node has for
    // the request's session, or "none".
    String v = request.getParameter("set");
    if (v != null) {
        request.getSession(true).setAttribute("probe", v);
        out.print(v);
        return;
    }
    HttpSession s = request.getSession(false);
    Object got = s == null ? null : s.getAttribute("probe");
    out.print(got == null ? "none" : got);
%>
