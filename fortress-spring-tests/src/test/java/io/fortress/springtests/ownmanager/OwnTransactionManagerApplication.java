package io.fortress.springtests.ownmanager;

import io.fortress.springtests.jpa.JpaApplication;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

/** The JPA application with the workaround users tried first: Spring's own JpaTransactionManager. */
@Configuration(proxyBeanMethods = false)
@Import(JpaApplication.class)
public class OwnTransactionManagerApplication {
    @Bean
    PlatformTransactionManager transactionManager(EntityManagerFactory factory) {
        return new JpaTransactionManager(factory);
    }
}
