"""Production rehearsed on one machine: replicas of the serve image behind HAProxy,
configured from the Terraform service's own timings, under constant load, while
replicas are replaced, killed, refused and overloaded (`make rehearsal`)."""
