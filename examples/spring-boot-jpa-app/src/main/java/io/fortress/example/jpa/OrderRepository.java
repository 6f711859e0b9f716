package io.fortress.example.jpa;

import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

public interface OrderRepository extends JpaRepository<Order, Long> {
    List<Order> findByOrderByIdDesc(Limit limit);

    /** Which server answers, and whether it is a standby. */
    @Query(value = "SELECT inet_server_port() || ',' || pg_is_in_recovery()", nativeQuery = true)
    String server();
}
