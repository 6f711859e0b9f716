package io.fortress.spring;

import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
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
    public Database fortressDatabase(DbConfig config, ObjectProvider<MeterRegistry> registry) {
        return Database.open(config, registry.getIfUnique());
    }

    @Bean
    @Primary
    @ConditionalOnMissingBean(DataSource.class)
    public FortressDataSource dataSource(Database database, FortressProperties properties) {
        return new FortressDataSource(database, properties.isReplicaReadsOutsideTransactions());
    }

    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    public FortressTransactionManager transactionManager(DataSource dataSource) {
        return new FortressTransactionManager(dataSource);
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
