package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.DatabaseUnavailableException;
import io.fortress.db.api.DbConfig;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;

/**
 * fortress as the application's database: a {@link Database} built from the DB_* variables and the
 * {@code fortress.*} properties, one primary {@link DataSource} that routes by Spring's transactions,
 * the transaction manager that makes that routing possible, a health contributor per node, and the
 * start-up migrations of {@code fortress.migrations.services}. Every bean steps aside for one the
 * application defines.
 */
@AutoConfiguration(beforeName = {"org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration"},
        // after the availability probes: their readiness group must exist when the migrations join it
        afterName = {"org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.actuate.autoconfigure.availability.AvailabilityProbesAutoConfiguration"})
@ConditionalOnClass(Database.class)
@EnableConfigurationProperties(FortressProperties.class)
@Import(DatabaseInitializationDependencyConfigurer.class) // beans that use the database wait for the migrations
public class FortressAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public DbConfig fortressDbConfig(Environment environment) {
        return DbConfigBinder.bind(environment, System.getenv());
    }

    /** The Database; its meters go to the application's MeterRegistry when there is one. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Database fortressDatabase(DbConfig config, ObjectProvider<MeterRegistry> registry, Environment environment,
            ListableBeanFactory beans) {
        try {
            return Database.open(config, registry.getIfUnique());
        } catch (DatabaseUnavailableException e) {
            String origin = beans.containsBeanDefinition("fortressDbConfig") ? DbConfigBinder.addressOrigin(environment, System.getenv())
                    : "the application's own DbConfig bean";
            throw new FortressStartupException("fortress cannot start: " + e.getMessage()
                    + ". The address comes from " + origin + ".",
                    "Start that database, or point fortress at yours: " + SpringDataSource.URL + "=jdbc:postgresql://host:port/database "
                            + "with spring.datasource.username and spring.datasource.password, or fortress.host, fortress.port, "
                            + "fortress.database, fortress.user (DB_HOST, DB_PORT, DB_NAME, DB_USER) and fortress.password or "
                            + "fortress.password-file (PGPASSWORD, DB_PASSWORD_FILE); replicas in fortress.replica-hosts (DB_REPLICA_HOSTS).", e);
        }
    }

    @Bean
    @Primary
    @ConditionalOnMissingBean(DataSource.class)
    public FortressDataSource dataSource(Database database, FortressProperties properties) {
        return new FortressDataSource(database, properties.isReplicaReadsOutsideTransactions());
    }

    /** Warns when {@code @Transactional} would use a transaction manager that does not route. */
    @Bean
    static TransactionManagerCheck fortressTransactionManagerCheck(ObjectProvider<PlatformTransactionManager> managers) {
        return new TransactionManagerCheck(managers);
    }

    /** Without JPA: Spring's JDBC transaction manager, routing. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("jakarta.persistence.EntityManagerFactory")
    static class Jdbc {
        @Bean
        @ConditionalOnMissingBean(TransactionManager.class)
        FortressTransactionManager transactionManager(DataSource dataSource) {
            return new FortressTransactionManager(dataSource);
        }
    }

    /**
     * With JPA on the classpath: the JPA transaction manager, routing, when the application has an
     * EntityManagerFactory (JdbcTemplate and the like join its transactions); the JDBC one when it has none.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"jakarta.persistence.EntityManagerFactory", "org.springframework.orm.jpa.JpaTransactionManager"})
    static class Jpa {
        @Bean
        @ConditionalOnMissingBean(TransactionManager.class)
        PlatformTransactionManager transactionManager(DataSource dataSource,
                ObjectProvider<jakarta.persistence.EntityManagerFactory> entityManagerFactory) {
            jakarta.persistence.EntityManagerFactory factory = entityManagerFactory.getIfUnique();
            return factory == null ? new FortressTransactionManager(dataSource) : new FortressJpaTransactionManager(factory, dataSource);
        }

        /** Hibernate releases its connection after each transaction, so that open-in-view keeps the routing. */
        @Bean
        static HibernateConnectionRelease fortressHibernateConnectionRelease() {
            return new HibernateConnectionRelease();
        }
    }

    /** The start-up migrations; with no {@code fortress.migrations.services} it migrates nothing. */
    @Bean
    @ConditionalOnMissingBean
    public FortressMigrations fortressMigrations(Database database, FortressProperties properties) {
        return new FortressMigrations(database, properties.getMigrations().getServices(), properties.getMigrations().getLocation(),
                System.getenv());
    }

    /** Read-your-writes tokens in a header, in servlet web applications. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"jakarta.servlet.Filter", "org.springframework.web.filter.OncePerRequestFilter"})
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    static class Web {
        @Bean
        @ConditionalOnMissingBean
        ConsistencyTokenFilter fortressConsistencyTokenFilter(FortressProperties properties) {
            return new ConsistencyTokenFilter(properties.getConsistencyTokenHeader());
        }
    }

    /** The health contributor, when Spring Boot's actuator is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthContributor")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "fortressHealthContributor")
        FortressHealthContributor fortressHealthContributor(Database database) {
            return new FortressHealthContributor(database);
        }

        /** Whether the schemas are current; in the readiness group unless the application defines that group. */
        @Bean
        @ConditionalOnMissingBean(name = "fortressMigrationsHealthIndicator")
        FortressMigrationsHealthIndicator fortressMigrationsHealthIndicator(FortressMigrations migrations) {
            return new FortressMigrationsHealthIndicator(migrations);
        }

        @Bean
        static ReadinessWithMigrations fortressReadinessWithMigrations() {
            return new ReadinessWithMigrations();
        }
    }
}
