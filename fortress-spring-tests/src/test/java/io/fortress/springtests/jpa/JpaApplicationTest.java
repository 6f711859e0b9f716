package io.fortress.springtests.jpa;

import static io.fortress.springtests.SpringApps.get;
import static io.fortress.springtests.SpringApps.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fortress.cluster.LocalCluster;
import io.fortress.cluster.LocalClusterExtension;
import io.fortress.cluster.Node;
import io.fortress.spring.FortressJpaTransactionManager;
import io.fortress.springtests.SpringApps;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.NestedTransactionNotSupportedException;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * A plain Spring Data JPA application on the starter, against a real primary and two replicas: every
 * save stored on the primary, read-only transactions on replicas, labels and read-your-writes over
 * real HTTP requests with open-in-view on and off, and each propagation on the node Spring's
 * semantics imply.
 */
@ExtendWith(OutputCaptureExtension.class)
class JpaApplicationTest {
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = LocalClusterExtension.shared(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "Fortress-Consistency-Token";
    private static final Map<Boolean, ConfigurableApplicationContext> APPS = new HashMap<>();

    /** The application, with open-in-view on (Spring Boot's default in web applications) or off; started once each. */
    private static synchronized ConfigurableApplicationContext app(boolean openInView) {
        return APPS.computeIfAbsent(openInView, osiv -> SpringApps.start(JpaApplication.class, CLUSTER.cluster(),
                "spring.jpa.open-in-view=" + osiv, "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations",
                "fortress.read-your-writes-wait=300ms"));
    }

    @AfterAll
    static void stopApps() {
        APPS.values().forEach(ConfigurableApplicationContext::close);
        APPS.clear();
    }

    private static int primaryPort() {
        return CLUSTER.cluster().primary().port();
    }

    private static List<Integer> replicaPorts() {
        return CLUSTER.cluster().replicas().stream().map(Node::port).toList();
    }

    private static long countOnPrimary(String where) {
        return Long.parseLong(CLUSTER.cluster().primary().queryValue("SELECT count(*) FROM jpa_app.accounts WHERE " + where));
    }

    @ParameterizedTest(name = "open-in-view={0}")
    @ValueSource(booleans = {true, false})
    void savesAreStoredAndEachTransactionRunsWhereItShouldOverHttp(boolean openInView) throws Exception {
        ConfigurableApplicationContext app = app(openInView);
        assertThat(app.getBean(PlatformTransactionManager.class)).isInstanceOf(FortressJpaTransactionManager.class);
        String tag = "osiv-" + openInView;

        HttpResponse<String> saved = post(app, "/accounts", "{\"owner\":\"" + tag + "-save\"}");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        assertThat(JSON.readTree(saved.body()).get("id").isNull()).as("repository.save() outside a service transaction gets an id").isFalse();
        assertThat(countOnPrimary("owner = '" + tag + "-save'")).as("and is stored").isEqualTo(1);

        HttpResponse<String> opened = post(app, "/accounts/service", "{\"owner\":\"" + tag + "-service\"}");
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        assertThat(countOnPrimary("owner = '" + tag + "-service' AND balance = 10")).isEqualTo(1);
        assertThat(opened.headers().firstValue(TOKEN)).as("a committed JPA write hands the response a token").isPresent();

        HttpResponse<String> mixed = post(app, "/mixed", "{\"owner\":\"" + tag + "-mixed\"}");
        assertThat(mixed.statusCode()).as("a read-only transaction, then writes, in one request: " + mixed.body()).isEqualTo(200);
        JsonNode ports = JSON.readTree(mixed.body());
        assertThat(ports.get("readOnlyPort").asInt()).as("the read-only transaction").isIn(replicaPorts());
        assertThat(ports.get("writePort").asInt()).as("the read-write one after it").isEqualTo(primaryPort());
        assertThat(countOnPrimary("owner = '" + tag + "-mixed' AND balance = 6")).as("both writes stored").isEqualTo(1);

        LocalCluster c = CLUSTER.cluster();
        c.replicas().forEach(Node::pauseReplay); // no replica can show a new write: reads that must see it find that out
        try {
            HttpResponse<String> written = post(app, "/accounts/service", "{\"owner\":\"" + tag + "-ryw\"}");
            long id = JSON.readTree(written.body()).get("id").asLong();
            String token = written.headers().firstValue(TOKEN).orElseThrow();
            HttpResponse<String> readBack = get(app, "/accounts/" + id, TOKEN, token);
            assertThat(readBack.statusCode()).as("the next request, with the token, reads its write: " + readBack.body()).isEqualTo(200);
            assertThat(JSON.readTree(readBack.body()).get("owner").asText()).isEqualTo(tag + "-ryw");
            assertThat(JSON.readTree(readBack.body()).get("port").asInt()).as("only the primary has it").isEqualTo(primaryPort());

            HttpResponse<String> sameRequest = post(app, "/write-then-read", "{\"owner\":\"" + tag + "-same\"}");
            assertThat(sameRequest.statusCode()).as("an unlabelled read after the request's own write sees it: " + sameRequest.body())
                    .isEqualTo(200);
            assertThat(JSON.readTree(sameRequest.body()).get("port").asInt()).isEqualTo(primaryPort());
        } finally {
            c.replicas().forEach(Node::resumeReplay);
        }
    }

    @Test
    void labelsChooseTheNode() {
        Bank bank = app(true).getBean(Bank.class);
        for (int i = 0; i < 10; i++) {
            assertThat(bank.readOnlyPort()).as("@Transactional(readOnly = true)").isIn(replicaPorts());
            assertThat(bank.readWritePort()).as("@Transactional").isEqualTo(primaryPort());
            assertThat(bank.strongPort()).as("fortress:strong").isEqualTo(primaryPort());
            assertThat(bank.boundedStalenessPort()).as("fortress:bounded-staleness=30s").isIn(replicaPorts());
        }
    }

    @Test
    void repositoryOperationsAreStoredOnThePrimaryAndReadFromReplicas() {
        ConfigurableApplicationContext app = app(true);
        AccountRepository accounts = app.getBean(AccountRepository.class);
        List<Account> saved = accounts.saveAll(List.of(new Account("many", 1), new Account("many", 2), new Account("many", 3)));
        assertThat(saved).allSatisfy(a -> assertThat(a.getId()).isNotNull());
        assertThat(countOnPrimary("owner = 'many'")).isEqualTo(3);
        accounts.delete(saved.get(0));
        assertThat(countOnPrimary("owner = 'many'")).as("delete()").isEqualTo(2);
        assertThat(accounts.credit("many", 10)).as("@Modifying").isEqualTo(2);
        assertThat(countOnPrimary("owner = 'many' AND balance >= 12")).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(accounts.findByOwner("many")).as("a derived query, on a replica").extracting(Account::getBalance)
                    .containsExactlyInAnyOrder(12L, 13L);
            assertThat(accounts.richerThan("many", 13)).as("@Query JPQL").extracting(Account::getBalance).containsExactly(13L);
        });
        assertThat(accounts.serverPort()).as("a declared (native) @Query outside any transaction runs in none: the primary")
                .isEqualTo(primaryPort());

        LocalCluster c = CLUSTER.cluster();
        c.replicas().forEach(Node::pauseReplay);
        try {
            long id = accounts.save(new Account("fresh", 0)).getId();
            assertThat(accounts.findById(id)).as("findById() outside a service transaction: the repository's own read-only "
                    + "transaction, on a replica, which has not replayed the save yet").isEmpty();
            assertThat(app.getBean(Bank.class).load(id).getOwner()).as("fortress:strong reads it").isEqualTo("fresh");
        } finally {
            c.replicas().forEach(Node::resumeReplay);
        }
    }

    @Test
    void optimisticLockingRefusesAStaleUpdate() {
        ConfigurableApplicationContext app = app(true);
        Bank bank = app.getBean(Bank.class);
        AccountRepository accounts = app.getBean(AccountRepository.class);
        long id = bank.open("versioned", 0).getId();
        Account first = bank.load(id);
        Account second = bank.load(id);
        first.setBalance(1);
        accounts.save(first);
        second.setBalance(2);
        assertThat(catchThrowable(() -> accounts.save(second))).isInstanceOf(ObjectOptimisticLockingFailureException.class);
        assertThat(countOnPrimary("id = " + id + " AND balance = 1 AND version = 1")).isEqualTo(1);
    }

    @Test
    void aSequenceIdInAReadOnlyTransactionFailsClearly() {
        Bank bank = app(true).getBean(Bank.class);
        Note note = bank.write("on the primary");
        assertThat(note.getId()).isNotNull();
        assertThat(CLUSTER.cluster().primary().queryValue("SELECT body FROM jpa_app.notes WHERE id = " + note.getId())).isEqualTo("on the primary");
        Throwable refused = catchThrowable(() -> bank.writeInReadOnly("on a replica"));
        assertThat(refused).as("nextval() on a replica").isNotNull();
        assertThat(rootMessage(refused)).contains("read-only transaction");
        assertThat(CLUSTER.cluster().primary().queryValue("SELECT count(*) FROM jpa_app.notes WHERE body = 'on a replica'")).isEqualTo("0");
    }

    @Test
    void eachPropagationRunsWhereSpringsSemanticsPutIt() {
        ConfigurableApplicationContext app = app(true);
        Propagations inner = app.getBean(Propagations.class);
        Propagations.Outer outer = app.getBean(Propagations.Outer.class);
        int p = primaryPort();
        for (int i = 0; i < 5; i++) {
            assertThat(outer.readWrite(inner, Propagations::readOnly)).as("REQUIRED read-only inside read-write: joins it")
                    .containsExactly(p, p, p);
            List<Integer> newReadOnly = outer.readWrite(inner, Propagations::requiresNewReadOnly);
            assertThat(newReadOnly.get(1)).as("REQUIRES_NEW read-only inside read-write: a replica").isIn(replicaPorts());
            assertThat(newReadOnly).element(2).isEqualTo(p);
            assertThat(catchThrowable(() -> outer.readWrite(inner, Propagations::nested)))
                    .as("NESTED: Hibernate's JPA dialect has no savepoints, as Spring documents").isInstanceOf(NestedTransactionNotSupportedException.class);

            List<Integer> newReadWrite = outer.readOnly(inner, Propagations::requiresNew);
            assertThat(newReadWrite.get(0)).isIn(replicaPorts());
            assertThat(newReadWrite).as("REQUIRES_NEW read-write inside read-only: the primary, then back on the same replica")
                    .containsExactly(newReadWrite.get(0), p, newReadWrite.get(0));
            List<Integer> supports = outer.readOnly(inner, Propagations::supports);
            assertThat(supports).as("SUPPORTS inside read-only: joins it").containsOnly(supports.get(0));
            List<Integer> mandatory = outer.readOnly(inner, Propagations::mandatory);
            assertThat(mandatory).as("MANDATORY inside read-only: joins it").containsOnly(mandatory.get(0));
            List<Integer> notSupported = outer.readOnly(inner, Propagations::notSupported);
            assertThat(notSupported).as("NOT_SUPPORTED inside read-only: suspended, outside any transaction (the primary)")
                    .containsExactly(notSupported.get(0), p, notSupported.get(0));
        }
        assertThat(inner.supports()).as("SUPPORTS with no transaction: outside any, the primary").isEqualTo(p);
        assertThat(inner.notSupported()).isEqualTo(p);
        assertThat(catchThrowable(inner::mandatory)).as("MANDATORY with none").isInstanceOf(IllegalTransactionStateException.class);
    }

    @Test
    void anApplicationsOwnTransactionManagerIsNamedInAWarning(CapturedOutput output) {
        try (ConfigurableApplicationContext app = SpringApps.start(io.fortress.springtests.ownmanager.OwnTransactionManagerApplication.class, CLUSTER.cluster(),
                "fortress.migrations.services=jpa_app", "fortress.migrations.location=classpath:appmigrations")) {
            assertThat(app.getBean(PlatformTransactionManager.class)).isExactlyInstanceOf(JpaTransactionManager.class);
            assertThat(output.getOut() + output.getErr()).contains("is not fortress's").contains("run on the primary")
                    .contains("FortressJpaTransactionManager");
            assertThat(app.getBean(Bank.class).readOnlyPort()).as("what the warning says: routing is gone").isEqualTo(primaryPort());
        }
    }

    private static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }
}
