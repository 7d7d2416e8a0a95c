-- Where each person has signed in successfully (address as the server saw it, after trusted
-- proxies). A sign-in from such an address is not held back by the throttle on the account, so
-- an attacker failing on purpose cannot lock a person out of the places they use.
CREATE TABLE known_sign_ins (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, address)
);
