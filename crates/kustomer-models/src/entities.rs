//! One file per entity: its attributes, nested list items and table wiring.

mod common;
mod company;
mod conversation;
mod customer;
mod klass;
mod kobject;
mod message;
mod note;
mod shortcut;
mod tag;
mod team;
mod user;

pub use common::*;
pub use company::*;
pub use conversation::*;
pub use customer::*;
pub use klass::*;
pub use kobject::*;
pub use message::*;
pub use note::*;
pub use shortcut::*;
pub use tag::*;
pub use team::*;
pub use user::*;
