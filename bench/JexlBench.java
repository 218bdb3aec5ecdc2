// Times JEXL 3.1 on the benchmark programs inside one warmed-up JVM.
// Usage: java -cp commons-jexl3.jar:commons-logging.jar:. JexlBench DIR N_RUNS name=arg ...
// Prints one line per program: "name median_ns".
import java.nio.file.*;
import java.util.*;
import org.apache.commons.jexl3.*;

public class JexlBench {
    public enum Purpose { INVOICES, ROBOT, GENERAL }

    public static class Functions {
        private final List<Object> persisted = new ArrayList<>();
        public Map<String, Object> createNew(String type) {
            Map<String, Object> r = new HashMap<>();
            r.put("type", type);
            if (type.equals("SubmittedDocument")) r.put("attachments", new ArrayList<Object>());
            return r;
        }
        public Map<String, Object> findState(String type, String code) {
            Map<String, Object> s = new HashMap<>();
            s.put("code", code);
            return s;
        }
        public void persist(Object r) { persisted.add(r); if (persisted.size() > 1000) persisted.clear(); }
        public String join(List<?> items, String sep) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < items.size(); i++) { if (i > 0) b.append(sep); b.append(items.get(i)); }
            return b.toString();
        }
    }

    static Map<String, Object> entity(int attachments) {
        Map<String, Object> account = new HashMap<>();
        account.put("purpose", Purpose.INVOICES);
        account.put("name", "invoices");
        List<Object> atts = new ArrayList<>();
        for (int i = 0; i < attachments; i++) {
            Map<String, Object> file = new HashMap<>();
            file.put("name", "faktura-" + i + ".pdf");
            Map<String, Object> att = new HashMap<>();
            att.put("attachedFile", file);
            atts.add(att);
        }
        Map<String, Object> e = new HashMap<>();
        e.put("mailAccount", account);
        e.put("attachments", atts);
        e.put("mailFrom", "jana@example.cz");
        e.put("id", 42);
        return e;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args[0]);
        int runs = Integer.parseInt(args[1]);
        Map<String, Object> ns = new HashMap<>();
        ns.put(null, new Functions());
        JexlEngine jexl = new JexlBuilder().strict(true).silent(false).namespaces(ns).create();
        for (int a = 2; a < args.length; a++) {
            String[] kv = args[a].split("=", 2);
            String name = kv[0];
            String src = new String(Files.readAllBytes(dir.resolve(name + ".jexl")), "UTF-8");
            JexlScript script = jexl.createScript(src);
            MapContext ctx = new MapContext();
            if (name.equals("invoices")) ctx.set("entity", entity(Integer.parseInt(kv[1])));
            else if (name.equals("wordcount")) ctx.set("text", Files.readAllLines(dir.resolve("words.txt")).get(0));
            else ctx.set("n", Integer.parseInt(kv[1]));
            long end = System.nanoTime() + 2_000_000_000L; // warm up for 2 s
            while (System.nanoTime() < end) script.execute(ctx);
            long[] times = new long[runs];
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                script.execute(ctx);
                times[r] = System.nanoTime() - t0;
            }
            Arrays.sort(times);
            System.out.println(name + " " + times[runs / 2]);
        }
    }
}
