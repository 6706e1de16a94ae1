//! `zoufang`: the server binary. The HTTP server arrives with its own work; this stub only
//! reports that.

fn main() {
    eprintln!("zoufang: the server is not built yet");
    std::process::exit(2);
}
