package io.fortress.springtests.mybatis;

import io.fortress.springtests.ItemController;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;
import org.springframework.boot.autoconfigure.data.jdbc.JdbcRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.jooq.JooqAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;

/** A MyBatis application on mybatis-spring-boot-starter: @Mapper interfaces in @Transactional services. */
@Import(ItemController.class)
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class,
        JdbcRepositoriesAutoConfiguration.class, JooqAutoConfiguration.class})
public class MyBatisApplication {
}
