package io.fortress.springtests.jdbc;

import org.mybatis.spring.boot.autoconfigure.MybatisAutoConfiguration;
import io.fortress.springtests.ItemController;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.jooq.JooqAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;

/** A Spring Data JDBC application: CrudRepository and @Transactional services. */
@Import(ItemController.class)
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class, JooqAutoConfiguration.class,
        MybatisAutoConfiguration.class})
public class DataJdbcApplication {
}
