package dev.ffnskip.examples.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Test helper: reads one HTTP/1.1 response (Content-Length or chunked body) from a raw socket. */
public final class RawHttp {
    private RawHttp() {}

    /** A response: status, headers (case-insensitive names), body. */
    public record Response(int status, Map<String, String> headers, String body) {
        public static Response read(InputStream in) throws IOException {
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String l; !(l = line(in)).isEmpty(); ) headers.put(l.substring(0, l.indexOf(':')).trim(), l.substring(l.indexOf(':') + 1).trim());
            byte[] body;
            if (headers.containsKey("content-length")) body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (int n; (n = Integer.parseInt(line(in).trim(), 16)) > 0; ) {
                    all.write(in.readNBytes(n));
                    line(in);
                }
                line(in);
                body = all.toByteArray();
            } else body = new byte[0];
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        static String line(InputStream in) throws IOException {
            StringBuilder s = new StringBuilder();
            for (int c; (c = in.read()) != -1 && c != '\n'; ) if (c != '\r') s.append((char) c);
            return s.toString();
        }
    }
}
