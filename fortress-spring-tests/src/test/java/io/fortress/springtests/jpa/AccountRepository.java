package io.fortress.springtests.jpa;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;
import org.springframework.transaction.annotation.Transactional;

public interface AccountRepository extends JpaRepository<Account, Long> {
    List<Account> findByOwner(String owner);

    @Query("select a from Account a where a.owner = :owner and a.balance >= :min")
    List<Account> richerThan(@Param("owner") String owner, @Param("min") long min);

    /** Which server this runs on: its port. */
    @Query(value = "SELECT inet_server_port()", nativeQuery = true)
    int serverPort();

    @Modifying
    @Transactional
    @Query("update Account a set a.balance = a.balance + :amount where a.owner = :owner")
    int credit(@Param("owner") String owner, @Param("amount") long amount);
}
