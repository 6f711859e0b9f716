package io.fortress.springtests.jooq;

import org.mybatis.spring.boot.autoconfigure.MybatisAutoConfiguration;
import io.fortress.springtests.ItemController;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;
import org.springframework.boot.autoconfigure.data.jdbc.JdbcRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;

/** A jOOQ application on Spring Boot's jOOQ starter. */
@Import(ItemController.class)
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class,
        JdbcRepositoriesAutoConfiguration.class, MybatisAutoConfiguration.class})
public class JooqApplication {
}
