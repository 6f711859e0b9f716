package io.fortress.example.jpa;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The order service on Spring Data JPA, open-in-view at Spring Boot's default (on): fortress routes each transaction. */
@SpringBootApplication
public class JpaOrdersApplication {
    public static void main(String[] args) {
        SpringApplication.run(JpaOrdersApplication.class, args);
    }
}
