-- Dropping the column drops users_list_seq_key with it.
ALTER TABLE users
    ADD KEY users_role_idx (role),
    DROP KEY users_role_list_idx,
    DROP COLUMN list_seq;
