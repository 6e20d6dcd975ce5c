<%@ page contentType="application/json; charset=UTF-8" session="false"
    import="java.lang.reflect.Field, org.apache.catalina.Context, org.apache.catalina.Manager" %><%!
    // The session manager's own counts, read through the servlet context
    // (no JMX): the ServletContext a JSP gets wraps Tomcat's context, whose
    // Manager keeps them.
    static Object field(Object o, String name) throws Exception {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
%><%
    Context ctx = (Context) field(field(application, "context"), "context");
    Manager m = ctx.getManager();
%>{"manager":"<%= m.getClass().getSimpleName() %>","active":<%= m.getActiveSessions() %>,"created":<%= m.getSessionCounter() %>,"expired":<%= m.getExpiredSessions() %>,"rejected":<%= m.getRejectedSessions() %>,"max_active":<%= m.getMaxActive() %>}
