//! Keys of Java's `NettyServerConfig`: the remoting listener of a broker or name server.
//! They share the key namespace of the server's other config classes.

use crate::table::config_table;

config_table! {
    /// The remoting server listener (Java `NettyServerConfig`). `listenPort` is 0 here, as in
    /// Java; the broker (10911) and name server (9876) set their own default, as their
    /// startup code does.
    pub struct NettyServerConfig {
        /// Address the remoting listener binds.
        bind_address: String = "0.0.0.0".to_owned() => "bindAddress",
        /// Remoting listen port (broker 10911, name server 9876).
        listen_port: u16 = 0 => "listenPort",
        /// Threads that run request handlers not given their own pool.
        server_worker_threads: i32 = 8 => "serverWorkerThreads",
        /// Threads for callbacks and the public executor (0 = 4).
        server_callback_executor_threads: i32 = 0 => "serverCallbackExecutorThreads",
        /// I/O (selector) threads.
        server_selector_threads: i32 = 3 => "serverSelectorThreads",
        /// Concurrent oneway requests the server may send.
        server_oneway_semaphore_value: i32 = 256 => "serverOnewaySemaphoreValue",
        /// Concurrent async requests the server may send (e.g. transaction checks).
        server_async_semaphore_value: i32 = 64 => "serverAsyncSemaphoreValue",
        /// Idle seconds after which a connection is closed.
        server_channel_max_idle_time_seconds: i32 = 120 => "serverChannelMaxIdleTimeSeconds",
        /// SO_SNDBUF in bytes (0 = OS default).
        server_socket_snd_buf_size: i32 = 0 => "serverSocketSndBufSize",
        /// SO_RCVBUF in bytes (0 = OS default).
        server_socket_rcv_buf_size: i32 = 0 => "serverSocketRcvBufSize",
        /// Per-connection outbound buffer high-water mark in bytes (0 = default).
        write_buffer_high_water_mark: i32 = 0 => "writeBufferHighWaterMark",
        /// Per-connection outbound buffer low-water mark in bytes (0 = default).
        write_buffer_low_water_mark: i32 = 0 => "writeBufferLowWaterMark",
        /// Listen backlog.
        server_socket_backlog: i32 = 1024 => "serverSocketBacklog",
        /// Drain in-flight requests before closing on shutdown.
        enable_shutdown_gracefully: bool = false => "enableShutdownGracefully",
        /// Upper bound of a graceful shutdown, in seconds.
        shutdown_wait_time_seconds: i32 = 30 => "shutdownWaitTimeSeconds",

    }
}
