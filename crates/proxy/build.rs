//! Compiles the published `apache.rocketmq.v2` protos (proto/, see proto/README.md) with
//! prost/tonic. `protox` parses them in Rust, so the build needs no `protoc` binary.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/apache/rocketmq/v2/service.proto",
        "proto/apache/rocketmq/v2/admin.proto",
    ];
    for f in files
        .iter()
        .chain(&["proto/apache/rocketmq/v2/definition.proto"])
    {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
