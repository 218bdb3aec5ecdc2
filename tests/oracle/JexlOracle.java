/*
 * JexlOracle: evaluates scripts with real JEXL 3.1 (Debian's package), the oracle of the
 * differential tests. One long-lived JVM; one JSON request per line on stdin, one JSON answer
 * per line on stdout. No dependencies besides JEXL 3.1 and commons-logging: the tiny JSON
 * reader/writer is below.
 *
 * Request:  {"script": "...", "vars": {"name": TV, ...}, "assert": true|false}
 *   TV (a typed value) = {"t": "Integer"|"Long"|"Double"|"Float"|"BigDecimal"|"BigInteger"|
 *                         "String"|"Boolean"|"null"|"List"|"Set"|"Map", "v": ...}
 *   numbers travel as strings (exact), List/Set "v" is a list of TV, Map "v" a list of [TV, TV].
 *   "assert": put an `assert` object in the context (equals, isTrue, isFalse, isNull, kind,
 *   fails) that mirrors the Python test host object of tests/jexl.
 * Answer:   {"ok": true, "value": R}
 *        or {"ok": false, "error": {"class": "...", "message": "...", "parse": bool,
 *                                   "line": n, "column": n}}
 *   R = {"c": simple class name, "k": kind, "v": value}; kind is one of null, boolean, number,
 *   string, char, array, list, set, collection, map, entry, other. Numbers are strings
 *   (Java's toString); containers hold R's (maps: [R, R] pairs).
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.commons.jexl3.JexlBuilder;
import org.apache.commons.jexl3.JexlContext;
import org.apache.commons.jexl3.JexlEngine;
import org.apache.commons.jexl3.JexlException;
import org.apache.commons.jexl3.JexlInfo;
import org.apache.commons.jexl3.JexlScript;
import org.apache.commons.jexl3.MapContext;

public final class JexlOracle {

    /** Top-level functions of the original product, registered in the null namespace. */
    public static final class Functions {
        /** join(list, separator): the elements' toString() joined; null prints as "null". */
        public static String join(Object items, String sep) {
            StringBuilder out = new StringBuilder();
            boolean first = true;
            for (Object item : iterable(items)) {
                if (!first) {
                    out.append(sep);
                }
                first = false;
                out.append(String.valueOf(item));
            }
            return out.toString();
        }
    }

    /** Raised by the Assert host object; its message says what differed. */
    public static final class AssertionFailed extends RuntimeException {
        AssertionFailed(String msg) {
            super(msg);
        }
    }

    /** The `assert` host object of the tests/jexl case files, in Java. */
    public static final class Assert {
        private final JexlContext context;

        Assert(JexlContext context) {
            this.context = context;
        }

        public boolean equals(Object expected, Object actual) {
            if (!same(expected, actual)) {
                throw new AssertionFailed("assertion failed: expected " + show(expected)
                        + ", got " + show(actual));
            }
            return true;
        }

        public boolean isTrue(Object c) {
            if (!Boolean.TRUE.equals(c)) {
                throw new AssertionFailed("assertion failed: expected true, got " + show(c));
            }
            return true;
        }

        public boolean isFalse(Object c) {
            if (!Boolean.FALSE.equals(c)) {
                throw new AssertionFailed("assertion failed: expected false, got " + show(c));
            }
            return true;
        }

        public boolean isNull(Object c) {
            if (c != null) {
                throw new AssertionFailed("assertion failed: expected null, got " + show(c));
            }
            return true;
        }

        public boolean kind(Object value, String name) {
            String k = className(value);
            if (!k.equals(name)) {
                throw new AssertionFailed("assertion failed: expected a " + name + ", got "
                        + show(value));
            }
            return true;
        }

        public boolean fails(Object fn, String regex) {
            if (!(fn instanceof JexlScript)) {
                throw new AssertionFailed("assertion failed: fails() needs a function");
            }
            try {
                ((JexlScript) fn).execute(context);
            } catch (AssertionFailed e) {
                throw e;
            } catch (RuntimeException e) {
                // an assertion failing inside the function is a failure, not the awaited error
                for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                    if (c instanceof AssertionFailed) {
                        throw (AssertionFailed) c;
                    }
                }
                String msg = e instanceof JexlException ? e.getMessage() : e.toString();
                if (!Pattern.compile(regex).matcher(msg).find()) {
                    throw new AssertionFailed("assertion failed: error '" + msg
                            + "' does not match '" + regex + "'");
                }
                return true;
            }
            throw new AssertionFailed("assertion failed: no error, expected '" + regex + "'");
        }
    }

    // --- equality of the assert object: same kind and value, recursively ----------------------

    static boolean same(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        String ka = kindOf(a);
        String kb = kindOf(b);
        boolean seqA = ka.equals("array") || ka.equals("list");
        boolean seqB = kb.equals("array") || kb.equals("list");
        if (seqA && seqB) {
            List<Object> la = elements(a);
            List<Object> lb = elements(b);
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!same(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (ka.equals("map") && kb.equals("map")) {
            Map<?, ?> ma = (Map<?, ?>) a;
            Map<?, ?> mb = (Map<?, ?>) b;
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                boolean found = false;
                for (Map.Entry<?, ?> f : mb.entrySet()) {
                    if (same(e.getKey(), f.getKey()) && same(e.getValue(), f.getValue())) {
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return false;
                }
            }
            return true;
        }
        if ((ka.equals("set") || ka.equals("collection"))
                && (kb.equals("set") || kb.equals("collection"))) {
            List<Object> la = elements(a);
            List<Object> lb = new ArrayList<Object>(elements(b));
            if (la.size() != lb.size()) {
                return false;
            }
            for (Object x : la) {
                boolean found = false;
                for (int i = 0; i < lb.size(); i++) {
                    if (same(x, lb.get(i))) {
                        lb.remove(i);
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return false;
                }
            }
            return true;
        }
        if (!className(a).equals(className(b))) {
            return false;
        }
        if (a instanceof Double || a instanceof Float) {
            double x = ((Number) a).doubleValue();
            double y = ((Number) b).doubleValue();
            return x == y || (Double.isNaN(x) && Double.isNaN(y));
        }
        if (a instanceof BigDecimal) {
            // scale matters, as BigDecimal.equals says (1.10b is not 1.1b)
            return a.equals(b);
        }
        return a.equals(b);
    }

    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            return "'" + v + "' (String)";
        }
        String k = kindOf(v);
        if (k.equals("array") || k.equals("list") || k.equals("set") || k.equals("collection")) {
            StringBuilder sb = new StringBuilder("[");
            boolean first = true;
            for (Object x : elements(v)) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                sb.append(show(x));
            }
            return sb.append("] (").append(className(v)).append(")").toString();
        }
        return String.valueOf(v) + " (" + className(v) + ")";
    }

    // --- classes and kinds ------------------------------------------------------------------

    static String className(Object v) {
        if (v == null) {
            return "null";
        }
        Class<?> c = v.getClass();
        if (c.isArray()) {
            return c.getSimpleName();
        }
        String name = c.getName();
        int dot = name.lastIndexOf('.');
        name = name.substring(dot + 1);
        // JEXL's ranges are IntegerRange$Ascending etc.: keep the public outer name
        if (name.startsWith("IntegerRange") || name.startsWith("LongRange")) {
            return name.substring(0, name.indexOf("Range") + 5);
        }
        return name.replace('$', '.');
    }

    static String kindOf(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        if (v instanceof Number) {
            return "number";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Character) {
            return "char";
        }
        if (v.getClass().isArray()) {
            return "array";
        }
        if (v instanceof List || className(v).endsWith("Range")) {
            // ranges iterate in order: compare them as sequences
            return "list";
        }
        if (v instanceof Set) {
            return "set";
        }
        if (v instanceof Map) {
            return "map";
        }
        if (v instanceof Map.Entry) {
            return "entry";
        }
        if (v instanceof Collection) {
            return "collection";
        }
        return "other";
    }

    static Iterable<?> iterable(Object v) {
        if (v == null) {
            return new ArrayList<Object>();
        }
        if (v instanceof Iterable) {
            return (Iterable<?>) v;
        }
        if (v.getClass().isArray()) {
            List<Object> out = new ArrayList<Object>();
            int n = Array.getLength(v);
            for (int i = 0; i < n; i++) {
                out.add(Array.get(v, i));
            }
            return out;
        }
        if (v instanceof Map) {
            return ((Map<?, ?>) v).values();
        }
        List<Object> one = new ArrayList<Object>();
        one.add(v);
        return one;
    }

    static List<Object> elements(Object v) {
        List<Object> out = new ArrayList<Object>();
        for (Object x : iterable(v)) {
            out.add(x);
        }
        return out;
    }

    // --- rendering results ------------------------------------------------------------------

    static void render(Object v, StringBuilder out, int depth) {
        if (depth > 50) {
            out.append("{\"c\":\"...\",\"k\":\"other\",\"v\":\"(too deep)\"}");
            return;
        }
        String k = kindOf(v);
        out.append("{\"c\":");
        writeString(className(v), out);
        out.append(",\"k\":");
        writeString(k, out);
        out.append(",\"v\":");
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean) {
            out.append(v.toString());
        } else if (k.equals("array") || k.equals("list") || k.equals("set")
                || k.equals("collection")) {
            out.append('[');
            boolean first = true;
            for (Object x : elements(v)) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                render(x, out, depth + 1);
            }
            out.append(']');
        } else if (k.equals("map")) {
            out.append('[');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append('[');
                render(e.getKey(), out, depth + 1);
                out.append(',');
                render(e.getValue(), out, depth + 1);
                out.append(']');
            }
            out.append(']');
        } else if (k.equals("entry")) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) v;
            out.append('[');
            render(e.getKey(), out, depth + 1);
            out.append(',');
            render(e.getValue(), out, depth + 1);
            out.append(']');
        } else if (k.equals("other")) {
            // functions and unknown objects: identity strings differ from run to run
            writeString(className(v), out);
        } else {
            writeString(v.toString(), out);
        }
        out.append('}');
    }

    // --- typed values of requests -----------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Object typed(Object tv) {
        Map<String, Object> m = (Map<String, Object>) tv;
        String t = (String) m.get("t");
        Object v = m.get("v");
        switch (t) {
            case "null":
                return null;
            case "Integer":
                return Integer.valueOf((String) v);
            case "Long":
                return Long.valueOf((String) v);
            case "Double":
                return Double.valueOf((String) v);
            case "Float":
                return Float.valueOf((String) v);
            case "BigDecimal":
                return new BigDecimal((String) v);
            case "BigInteger":
                return new BigInteger((String) v);
            case "String":
                return (String) v;
            case "Boolean":
                return (Boolean) v;
            case "List": {
                List<Object> out = new ArrayList<Object>();
                for (Object x : (List<Object>) v) {
                    out.add(typed(x));
                }
                return out;
            }
            case "Set": {
                Set<Object> out = new HashSet<Object>();
                for (Object x : (List<Object>) v) {
                    out.add(typed(x));
                }
                return out;
            }
            case "Map": {
                Map<Object, Object> out = new HashMap<Object, Object>();
                for (Object pair : (List<Object>) v) {
                    List<Object> p = (List<Object>) pair;
                    out.put(typed(p.get(0)), typed(p.get(1)));
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("unknown value type " + t);
        }
    }

    // --- the loop -----------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static String handle(JexlEngine jexl, String line) {
        Map<String, Object> req = (Map<String, Object>) new JsonReader(line).read();
        String src = (String) req.get("script");
        MapContext ctx = new MapContext();
        Object vars = req.get("vars");
        if (vars != null) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) vars).entrySet()) {
                ctx.set(e.getKey(), typed(e.getValue()));
            }
        }
        if (Boolean.TRUE.equals(req.get("assert"))) {
            ctx.set("assert", new Assert(ctx));
        }
        StringBuilder out = new StringBuilder();
        try {
            JexlScript script = jexl.createScript(new JexlInfo("script", 1, 1), src, null);
            Object result = script.execute(ctx);
            out.append("{\"ok\":true,\"value\":");
            render(result, out, 0);
            out.append('}');
        } catch (Throwable e) {
            boolean parse = e instanceof JexlException.Parsing
                    || e instanceof JexlException.Tokenization;
            int lineNo = 0;
            int column = 0;
            Throwable reported = e;
            if (e instanceof JexlException) {
                JexlInfo info = ((JexlException) e).getInfo();
                if (info != null) {
                    lineNo = info.getLine();
                    column = info.getColumn();
                }
                // an assertion failing inside a method call comes wrapped: report it as is
                Throwable cause = e.getCause();
                while (cause != null) {
                    if (cause instanceof AssertionFailed) {
                        reported = cause;
                        break;
                    }
                    cause = cause.getCause();
                }
            }
            String msg = reported instanceof JexlException || reported instanceof AssertionFailed
                    ? reported.getMessage() : reported.toString();
            out.append("{\"ok\":false,\"error\":{\"class\":");
            writeString(e.getClass().getName(), out);
            out.append(",\"message\":");
            writeString(msg == null ? "" : msg, out);
            out.append(",\"parse\":").append(parse);
            out.append(",\"line\":").append(lineNo);
            out.append(",\"column\":").append(column);
            out.append("}}");
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> ns = new HashMap<String, Object>();
        ns.put(null, Functions.class);
        JexlEngine jexl = new JexlBuilder().strict(true).silent(false).namespaces(ns).create();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
                StandardCharsets.UTF_8));
        PrintStream stdout = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            String answer;
            try {
                answer = handle(jexl, line);
            } catch (Throwable e) {
                StringBuilder sb = new StringBuilder("{\"ok\":false,\"error\":{\"class\":");
                writeString("harness", sb);
                sb.append(",\"message\":");
                writeString(String.valueOf(e), sb);
                sb.append(",\"parse\":false,\"line\":0,\"column\":0}}");
                answer = sb.toString();
            }
            stdout.println(answer);
            stdout.flush();
        }
    }

    // --- JSON ---------------------------------------------------------------------------------

    static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    /** A small JSON reader: objects become LinkedHashMaps, numbers stay Strings. */
    static final class JsonReader {
        private final String s;
        private int i;

        JsonReader(String s) {
            this.s = s;
        }

        Object read() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<String, Object>();
                skip();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    skip();
                    String key = (String) read();
                    skip();
                    expect(':');
                    m.put(key, read());
                    skip();
                    if (s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect('}');
                    return m;
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<Object>();
                skip();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(read());
                    skip();
                    if (s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect(']');
                    return l;
                }
            }
            if (c == '"') {
                i++;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    char d = s.charAt(i++);
                    if (d == '"') {
                        return sb.toString();
                    }
                    if (d != '\\') {
                        sb.append(d);
                        continue;
                    }
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n': sb.append('\n'); break;
                        case 't': sb.append('\t'); break;
                        case 'r': sb.append('\r'); break;
                        case 'b': sb.append('\b'); break;
                        case 'f': sb.append('\f'); break;
                        case 'u':
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                            break;
                        default: sb.append(e);
                    }
                }
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("bad JSON at " + i);
            }
            return s.substring(start, i);
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected " + c + " at " + i);
            }
            i++;
        }
    }
}
