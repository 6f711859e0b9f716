package io.fortress.cluster;

import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that starts a throw-away {@link LocalCluster} before a test class and stops it
 * after, or lends the class the cluster it shares with other classes of the test JVM ({@link #shared(int)}).
 * Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalClusterExtension CLUSTER = LocalClusterExtension.withReplicas(2);
 * }</pre>
 */
public final class LocalClusterExtension implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace SHARED = ExtensionContext.Namespace.create(LocalClusterExtension.class, "shared");

    private final Consumer<LocalCluster.Builder> customizer;
    /** The replicas of the shared cluster this class uses; -1 for a cluster of its own. */
    private final int sharedReplicas;
    private LocalCluster cluster;

    private LocalClusterExtension(Consumer<LocalCluster.Builder> customizer, int sharedReplicas) {
        this.customizer = customizer;
        this.sharedReplicas = sharedReplicas;
    }

    /** A cluster with one primary and the given number of replicas. */
    public static LocalClusterExtension withReplicas(int replicas) {
        return new LocalClusterExtension(b -> b.replicas(replicas), -1);
    }

    /** A cluster built by the given customizer (replicas, settings, ...). */
    public static LocalClusterExtension of(Consumer<LocalCluster.Builder> customizer) {
        return new LocalClusterExtension(customizer, -1);
    }

    /**
     * The cluster with the given number of replicas that every class of the test JVM asking for it
     * shares: started once, by the first of them, and stopped when the JVM's tests end. Each class gets
     * it as a new cluster: every node up, the replicas streaming, the default database empty and created
     * again, the databases and roles an earlier class created dropped. A cluster left unusable (a node
     * stopped, frozen or promoted, replay paused) is replaced. For classes that never stop, freeze, kill
     * or promote a node and never change server settings; classes using it run one after the other (the
     * default).
     */
    public static LocalClusterExtension shared(int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must be 0 or more, not " + replicas);
        }
        return new LocalClusterExtension(b -> b.replicas(replicas), replicas);
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
        if (sharedReplicas >= 0) {
            cluster = context.getRoot().getStore(SHARED)
                    .getOrComputeIfAbsent(sharedReplicas, SharedCluster::new, SharedCluster.class).checkOut();
            return;
        }
        LocalCluster.Builder builder = LocalCluster.builder();
        customizer.accept(builder);
        cluster = builder.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null && sharedReplicas < 0) {
            cluster.stop();
        }
        cluster = null;
    }
}
