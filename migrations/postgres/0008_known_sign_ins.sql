-- Where each person has signed in successfully (address as the server saw it, after trusted
-- proxies). A sign-in from such an address is not held back by the throttle on the account, so
-- an attacker failing on purpose cannot lock a person out of the places they use.
-- Equivalent to migrations/sqlite/0008_known_sign_ins.sql.
CREATE TABLE known_sign_ins (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    last_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, address)
);
