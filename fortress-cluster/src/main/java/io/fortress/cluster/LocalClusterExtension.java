package io.fortress.cluster;

import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that starts a throw-away {@link LocalCluster} before a test class and stops it
 * after. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);
 * }</pre>
 */
public final class LocalClusterExtension implements BeforeAllCallback, AfterAllCallback {
    private final Consumer<LocalCluster.Builder> customizer;
    private LocalCluster cluster;

    private LocalClusterExtension(Consumer<LocalCluster.Builder> customizer) {
        this.customizer = customizer;
    }

    /** A cluster with one primary and the given number of replicas. */
    public static LocalClusterExtension withReplicas(int replicas) {
        return new LocalClusterExtension(b -> b.replicas(replicas));
    }

    /** A cluster built by the given customizer (replicas, settings, ...). */
    public static LocalClusterExtension of(Consumer<LocalCluster.Builder> customizer) {
        return new LocalClusterExtension(customizer);
    }

    /** The running cluster; available from {@code @BeforeAll} methods on. */
    public LocalCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the local cluster is not started; register the extension on a static field");
        }
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LocalCluster.Builder builder = LocalCluster.builder();
        customizer.accept(builder);
        cluster = builder.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.stop();
            cluster = null;
        }
    }
}
