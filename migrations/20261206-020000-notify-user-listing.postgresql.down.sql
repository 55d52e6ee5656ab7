DROP TRIGGER users_notify_listing_columns ON users;
DROP TRIGGER users_notify_listing_rows ON users;
DROP FUNCTION boundary_notify_user_listing();
