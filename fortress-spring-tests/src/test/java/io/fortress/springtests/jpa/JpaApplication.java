package io.fortress.springtests.jpa;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jdbc.JdbcRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.jooq.JooqAutoConfiguration;
import org.mybatis.spring.boot.autoconfigure.MybatisAutoConfiguration;

/**
 * A plain Spring Data JPA application with the starter and nothing else: no transaction manager or
 * DataSource of its own. (This module's classpath holds every stack; each application leaves the
 * others' auto-configuration out, as its own classpath would.)
 */
@SpringBootApplication(exclude = {JdbcRepositoriesAutoConfiguration.class, JooqAutoConfiguration.class, MybatisAutoConfiguration.class})
public class JpaApplication {
}
