<%@ page contentType="text/html; charset=UTF-8" %><%
    session.invalidate();
    // 303, as the built-in target answers: the next request is a GET.
    response.setStatus(HttpServletResponse.SC_SEE_OTHER);
    response.setHeader("Location", request.getContextPath() + "/login.jsp?logout");
%>
