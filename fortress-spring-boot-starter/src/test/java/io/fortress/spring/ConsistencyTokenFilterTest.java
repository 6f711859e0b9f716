package io.fortress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.db.Database;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.transaction.annotation.Transactional;

/**
 * Issue 23 §4 through the starter: a request whose Fortress-Consistency-Token names a WAL position past the primary's
 * (FFFFFFFF/FFFFFFFF) gets 400 naming the header, at once, while honest requests that write and then read their write
 * with the token they were given keep their pace. Real application context, transaction manager and cluster; the
 * requests are servlet mocks through the real filter, as a servlet container would call it.
 */
class ConsistencyTokenFilterTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);
    private static final String HEADER = "Fortress-Consistency-Token";
    /** Long, so that a forged token that were waited for would show. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static ApplicationContextRunner runner() {
        LocalCluster c = CLUSTER.cluster();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(FortressAutoConfiguration.class, TransactionAutoConfiguration.class,
                        JdbcTemplateAutoConfiguration.class))
                .withPropertyValues("fortress.host=" + Node.HOST, "fortress.port=" + c.primary().port(), "fortress.user=" + c.superuser(),
                        "fortress.password=" + c.password(), "fortress.database=" + c.database(),
                        "fortress.replica-hosts=" + c.replicas().stream().map(Node::address).collect(Collectors.joining(",")),
                        "fortress.health-interval=2s", "fortress.health-fast-interval=200ms",
                        "fortress.read-your-writes-wait=" + WAIT.toSeconds() + "s")
                .withUserConfiguration(Items.Config.class);
    }

    /** A service as an application writes it: a write, and a read of it labelled read-your-writes. */
    static class Items {
        private final JdbcTemplate jdbc;

        Items(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        public void add(long id) {
            jdbc.update("INSERT INTO forged_items(id) VALUES (?)", id);
        }

        @Transactional(readOnly = true, label = "fortress:read-your-writes")
        public boolean has(long id) {
            return Boolean.TRUE.equals(jdbc.queryForObject("SELECT EXISTS (SELECT 1 FROM forged_items WHERE id = ?)", Boolean.class, id));
        }

        @Configuration(proxyBeanMethods = false)
        static class Config {
            @Bean
            Items items(JdbcTemplate jdbc) {
                return new Items(jdbc);
            }
        }
    }

    /** One request through the filter: its status, how long it took, when it ended, the header it answered with. */
    private record Answer(int status, long nanos, long endNanos, String token, String error) {
    }

    private static Answer request(ConsistencyTokenFilter filter, String token, jakarta.servlet.FilterChain app) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/items");
        if (token != null) {
            request.addHeader(HEADER, token);
        }
        MockHttpServletResponse response = new MockHttpServletResponse();
        long start = System.nanoTime();
        filter.doFilter(request, response, app);
        long end = System.nanoTime();
        return new Answer(response.getStatus(), end - start, end, response.getHeader(HEADER), response.getErrorMessage());
    }

    @Test
    void aForgedTokenIsAnswered400AtOnceWhileHonestRequestsKeepTheirPace() {
        runner().run(ctx -> {
            Database db = ctx.getBean(Database.class);
            Items items = ctx.getBean(Items.class);
            db.exec("CREATE TABLE forged_items(id bigint PRIMARY KEY)");
            ConsistencyTokenFilter filter = new ConsistencyTokenFilter(HEADER);
            AtomicLong ids = new AtomicLong();
            try {
                Answer forged = request(filter, "FFFFFFFF/FFFFFFFF", (rq, rs) -> items.has(1));
                assertThat(forged.status()).isEqualTo(400);
                assertThat(forged.error()).contains("header " + HEADER + " is not a consistency token of this database")
                        .contains("FFFFFFFF/FFFFFFFF").contains("past the primary's current one");
                assertThat(Duration.ofNanos(forged.nanos())).as("refused, not waited for").isLessThan(WAIT.dividedBy(3));

                // honest clients: each writes, then reads its write back in a second request with the token it was given
                ExecutorService threads = Executors.newFixedThreadPool(12);
                AtomicBoolean running = new AtomicBoolean(true);
                try {
                    List<Future<List<Answer>>> honest = new ArrayList<>();
                    List<Future<List<Answer>>> attackers = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        honest.add(threads.submit(() -> {
                            List<Answer> answers = new ArrayList<>();
                            while (running.get()) {
                                long id = ids.incrementAndGet();
                                Answer wrote = request(filter, null, (rq, rs) -> items.add(id));
                                Answer read = request(filter, wrote.token(), (rq, rs) -> {
                                    if (!items.has(id)) {
                                        throw new AssertionError("write " + id + " not seen with its token " + wrote.token());
                                    }
                                });
                                answers.add(new Answer(read.status(), wrote.nanos() + read.nanos(), read.endNanos(), null, read.error()));
                            }
                            return answers;
                        }));
                    }
                    Thread.sleep(3_000);
                    long attackStart = System.nanoTime();
                    for (int i = 0; i < 8; i++) {
                        attackers.add(threads.submit(() -> {
                            List<Answer> answers = new ArrayList<>();
                            while (running.get()) {
                                answers.add(request(filter, "FFFFFFFF/FFFFFFFF", (rq, rs) -> items.has(1)));
                                Thread.sleep(5);
                            }
                            return answers;
                        }));
                    }
                    Thread.sleep(3_000);
                    long attackEnd = System.nanoTime();
                    running.set(false);
                    List<Answer> honestAnswers = new ArrayList<>();
                    for (Future<List<Answer>> f : honest) {
                        honestAnswers.addAll(f.get(60, TimeUnit.SECONDS));
                    }
                    List<Answer> forgedAnswers = new ArrayList<>();
                    for (Future<List<Answer>> f : attackers) {
                        forgedAnswers.addAll(f.get(60, TimeUnit.SECONDS));
                    }
                    long worstHonest = honestAnswers.stream().mapToLong(Answer::nanos).max().orElse(0);
                    long worstForged = forgedAnswers.stream().mapToLong(Answer::nanos).max().orElse(0);
                    long alone = honestAnswers.stream().filter(a -> a.endNanos() < attackStart).count();
                    long attacked = honestAnswers.stream().filter(a -> a.endNanos() >= attackStart && a.endNanos() < attackEnd).count();
                    String figures = "honest write+read pairs: " + alone + " in 3 s alone, " + attacked + " in 3 s beside "
                            + forgedAnswers.size() + " forged requests; the slowest honest pair " + worstHonest / 1_000_000
                            + " ms, the slowest forged request " + worstForged / 1_000_000 + " ms";
                    System.out.println(figures);
                    assertThat(honestAnswers).as(figures).isNotEmpty().allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
                    assertThat(forgedAnswers).as(figures).isNotEmpty().allSatisfy(a -> assertThat(a.status()).isEqualTo(400));
                    // generous: the attackers share two cores with everything else, so some slowing is CPU, not waiting
                    assertThat(attacked).as(figures).isGreaterThan(alone / 4);
                    assertThat(Duration.ofNanos(worstHonest)).as(figures).isLessThan(WAIT.dividedBy(3));
                    assertThat(Duration.ofNanos(worstForged)).as(figures).isLessThan(WAIT.dividedBy(3));
                } finally {
                    running.set(false);
                    threads.shutdownNow();
                    assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                db.exec("DROP TABLE forged_items");
            }
        });
    }
}
