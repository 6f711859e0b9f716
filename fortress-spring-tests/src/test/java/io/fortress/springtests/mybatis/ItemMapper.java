package io.fortress.springtests.mybatis;

import org.apache.ibatis.annotations.Insert;
import org.apache.ibatis.annotations.Mapper;
import org.apache.ibatis.annotations.Options;
import org.apache.ibatis.annotations.Select;

@Mapper
public interface ItemMapper {
    /** The row's id is written back into the parameter. */
    class NewItem {
        public Long id;
        public String name;
    }

    @Insert("INSERT INTO mybatis_app.items(name) VALUES (#{name})")
    @Options(useGeneratedKeys = true, keyProperty = "id")
    int insert(NewItem item);

    @Select("SELECT inet_server_port()")
    int serverPort();
}
