import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The evidence behind docs/architecture.md "The HTTP listener": the JDK's HTTP server under slow clients, configured as
 * serve was before issue 23 ("old": 4 handler threads, no limits) and as HttpLimits configures it now ("bounded": a thread
 * per connection, sun.net.httpserver.maxReqTime, jdk.httpserver.maxConnections). N connections send a request a byte at a
 * time (re-opened when the server cuts them) while a probe asks /health/live every 100 ms with a 1 s timeout (kubelet's
 * default). Run: {@code java bench/http/SlowClientsExperiment.java old|bounded [connections] [seconds]}.
 */
public class SlowClientsExperiment {
    public static void main(String[] args) throws Exception {
        boolean bounded = args[0].equals("bounded");
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        if (bounded) { // what HttpLimits.applyToJdkServer() sets, with a 2 s request timeout
            System.setProperty("sun.net.httpserver.maxReqTime", "2");
            System.setProperty("sun.net.httpserver.maxRspTime", "30");
            System.setProperty("sun.net.httpserver.timerMillis", "250");
            System.setProperty("jdk.httpserver.maxConnections", "1000");
            System.setProperty("sun.net.httpserver.clockTick", "1000");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(bounded
                ? new ThreadPoolExecutor(4, 1016, 30, TimeUnit.SECONDS, new SynchronousQueue<>())
                : Executors.newFixedThreadPool(4));
        server.createContext("/health/live", exchange -> {
            byte[] body = "{\"status\":\"alive\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        int port = server.getAddress().getPort();

        byte[] opening = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        List<Socket> slow = new ArrayList<>();
        int[] cut = {0};
        for (int i = 0; i < connections; i++) {
            slow.add(open(port, opening));
        }
        Thread dripper = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (int i = 0; i < slow.size(); i++) {
                    Socket s = slow.get(i);
                    try {
                        try {
                            InputStream in = s.getInputStream();
                            in.read();
                            throw new java.io.IOException("cut");
                        } catch (SocketTimeoutException open) {
                            s.getOutputStream().write('a');
                        }
                    } catch (Exception e) {
                        cut[0]++;
                        try {
                            s.close();
                            slow.set(i, open(port, opening));
                        } catch (Exception ignored) {
                            // try again next round
                        }
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        dripper.setDaemon(true);
        dripper.start();

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        int answered = 0;
        int failed = 0;
        long worst = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            try {
                int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    answered++;
                } else {
                    failed++;
                }
            } catch (Exception e) {
                failed++;
            }
            worst = Math.max(worst, System.nanoTime() - start);
            Thread.sleep(100);
        }
        System.out.printf("%s, %d slow connections, %d s: probes answered %d, failed (1 s timeout) %d, slowest %d ms; "
                        + "slow connections cut by the server %d; live threads %d%n", bounded ? "bounded" : "old", connections, seconds,
                answered, failed, worst / 1_000_000, cut[0], Thread.activeCount());
        dripper.interrupt();
        for (Socket s : slow) {
            s.close();
        }
        server.stop(0);
        System.exit(0);
    }

    private static Socket open(int port, byte[] opening) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        s.setSoTimeout(1);
        s.getOutputStream().write(opening);
        return s;
    }
}
