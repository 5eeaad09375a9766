-- Client networks from which an account may send without SMTP AUTH: the path for legacy systems
-- and appliances that cannot authenticate. The most specific network wins.
CREATE TABLE account_networks (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    network     cidr NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, network)
);
CREATE INDEX account_networks_lookup ON account_networks USING gist (network inet_ops);
