//! Which broker of a master/slave set a consumer should pull from next, and what a slave
//! answers: Java's rules (`PullMessageProcessor`, `DefaultPullMessageResultHandler`) as a
//! pure step.

use ferromq_protocol::response_code;

/// What the rules consult.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PullRouting {
    /// This broker is a slave.
    pub(crate) slave: bool,
    /// `slaveReadEnable`.
    pub(crate) slave_read_enable: bool,
    /// `offsetCheckInSlave`: a slave corrects offsets itself.
    pub(crate) offset_check_in_slave: bool,
    /// The store says the consumer reads cold data (behind by more than
    /// `accessMessageInMemoryMaxRatio` of memory).
    pub(crate) suggest_slave: bool,
    /// The group's `brokerId` (where it normally consumes, 0).
    pub(crate) group_broker_id: i64,
    /// The group's `whichBrokerWhenConsumeSlowly` (1).
    pub(crate) when_slowly: i64,
}

impl PullRouting {
    /// The response code and `suggestWhichBrokerId` for a pull whose store read maps to
    /// `code`. A slave sends consumers back to the master unless they read cold data (Java
    /// assumes the master is up: its `minBrokerIdInGroup` is 0 without acting-master mode).
    pub(crate) fn decide(&self, code: i32) -> (i32, i64) {
        let mut code = code;
        let mut suggest = if !self.slave_read_enable {
            0
        } else if self.suggest_slave {
            self.when_slowly
        } else {
            self.group_broker_id
        };
        if self.slave && !self.suggest_slave {
            suggest = 0;
            if code != response_code::SUCCESS {
                code = response_code::PULL_RETRY_IMMEDIATELY;
            }
        }
        if code == response_code::PULL_OFFSET_MOVED && self.slave && !self.offset_check_in_slave {
            // Only the master corrects offsets.
            suggest = self.group_broker_id;
            code = response_code::PULL_RETRY_IMMEDIATELY;
        }
        (code, suggest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::response_code as rc;

    fn routing(slave: bool, read: bool, cold: bool) -> PullRouting {
        PullRouting {
            slave,
            slave_read_enable: read,
            offset_check_in_slave: false,
            suggest_slave: cold,
            group_broker_id: 0,
            when_slowly: 1,
        }
    }

    #[test]
    fn a_master_sends_slow_consumers_to_the_slave_only_when_slaves_may_serve() {
        assert_eq!(
            routing(false, true, true).decide(rc::SUCCESS),
            (rc::SUCCESS, 1)
        );
        assert_eq!(
            routing(false, false, true).decide(rc::SUCCESS),
            (rc::SUCCESS, 0)
        );
        assert_eq!(
            routing(false, true, false).decide(rc::SUCCESS),
            (rc::SUCCESS, 0)
        );
        assert_eq!(
            routing(false, true, false).decide(rc::PULL_NOT_FOUND),
            (rc::PULL_NOT_FOUND, 0)
        );
    }

    #[test]
    fn a_slave_serves_what_it_has_and_sends_the_rest_to_the_master() {
        let s = routing(true, true, false);
        assert_eq!(s.decide(rc::SUCCESS), (rc::SUCCESS, 0));
        assert_eq!(
            s.decide(rc::PULL_NOT_FOUND),
            (rc::PULL_RETRY_IMMEDIATELY, 0)
        );
        assert_eq!(
            s.decide(rc::PULL_OFFSET_MOVED),
            (rc::PULL_RETRY_IMMEDIATELY, 0)
        );
        let cold = routing(true, true, true);
        assert_eq!(cold.decide(rc::SUCCESS), (rc::SUCCESS, 1));
        assert_eq!(cold.decide(rc::PULL_NOT_FOUND), (rc::PULL_NOT_FOUND, 1));
        let checks = PullRouting {
            offset_check_in_slave: true,
            ..cold
        };
        assert_eq!(
            checks.decide(rc::PULL_OFFSET_MOVED),
            (rc::PULL_OFFSET_MOVED, 1)
        );
    }
}
